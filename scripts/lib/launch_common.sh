# shellcheck shell=bash
# The shared part of the launchers in scripts/*_wm.sh; sourced, never run.
#
# A launcher sets its variables (VAR="${VAR:-default}"), lists them in KS_VARS, puts its
# task flags in KS_TASK_ARGS, names the variables that must not be empty in KS_REQUIRED and
# its own 0/1 variables in KS_SWITCHES, then calls `ks_main "$@"`. ks_main parses the
# launcher's options, finds ksearch, checks the API key, builds `ksearch run ...` as an array
# and execs it (or, with WANDB=1, runs it beside scripts/wandb_sidecar.py). No eval, no sudo;
# the key travels only in the environment (LLM_API_KEY), never on a command line.
# See scripts/README.md.

KS_REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)"

# Settings every launcher shares: evaluation workers (README "Several GPUs, and Slurm").
PARALLEL_WORKLOADS="${PARALLEL_WORKLOADS:-1}"  # 1: one evaluation worker per visible GPU (K-Search ran parallel workloads)
MAX_PARALLEL_WORKLOADS="${MAX_PARALLEL_WORKLOADS:-0}"  # cap on workers; 0: one per visible GPU (1 with a launcher)
WORKER_LAUNCHER="${WORKER_LAUNCHER:-}"  # e.g. "srun -u --ntasks=1 --gres=gpu:1 --exclusive" inside a Slurm allocation
KS_COMMON_VARS=(PARALLEL_WORKLOADS MAX_PARALLEL_WORKLOADS WORKER_LAUNCHER)

KS_DRY_RUN=0
KS_BIN=""
KS_EXTRA_ARGS=()   # after `--`: passed to `ksearch run` unchanged
KS_CMD=()          # the ksearch command line
KS_SIDECAR_CMD=()  # the W&B sidecar's, when WANDB=1
KS_SWITCHES=()     # a launcher's own 0/1 variables, checked like RESUME and WANDB
KS_SIDECAR_PID=""
KS_CHILD_PID=""
KS_INTERRUPTED=0
KS_KEY_SOURCE=""   # which variable LLM_API_KEY is taken from, for --dry-run; never the value

ks_die() {
  printf '%s: error: %s\n' "$(basename -- "$0")" "$1" >&2
  exit 2
}

ks_warn() {
  printf '%s: warning: %s\n' "$(basename -- "$0")" "$1" >&2
}

ks_usage() {
  # The launcher's header comment (up to the first line that is not a comment), then the
  # options and the variables with their current values.
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  cat <<EOF

Usage: $(basename -- "$0") [--resume] [--dry-run] [--help] [-- KSEARCH_RUN_FLAGS...]

  --resume    go on with the run in ARTIFACTS_DIR after its last round (same as RESUME=1)
  --dry-run   print the ksearch command (and the W&B sidecar's) instead of running it
  --help      print this text
  --          everything after it goes to \`ksearch run\` unchanged (see \`ksearch run --help\`)

Variables (set them in the environment; current values):
EOF
  local name
  local -a words
  for name in "${KS_VARS[@]}" "${KS_COMMON_VARS[@]}"; do
    # Runs of whitespace (the workload list's newlines) shown as one space.
    read -r -d '' -a words <<<"${!name}" || true
    printf '  %s="%s"\n' "$name" "${words[*]}"
  done
  # The key's variable is named, its value never shown.
  if [[ -n "${LLM_API_KEY_ENV:-}" && "$LLM_API_KEY_ENV" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    if [[ -n "${!LLM_API_KEY_ENV:-}" ]]; then
      printf '  (%s is set)\n' "$LLM_API_KEY_ENV"
    else
      printf '  (%s is not set)\n' "$LLM_API_KEY_ENV"
    fi
  fi
}

ks_parse_args() {
  while (($# > 0)); do
    case "$1" in
      -h | --help)
        ks_usage
        exit 0
        ;;
      --resume) RESUME=1 ;;
      --dry-run) KS_DRY_RUN=1 ;;
      --)
        shift
        KS_EXTRA_ARGS=("$@")
        return 0
        ;;
      *) ks_die "unknown option '$1' (ksearch flags go after '--'; see --help)" ;;
    esac
    shift
  done
}

ks_check_switch() {  # $1: variable name; it must be 0 or 1
  local value="${!1}"
  [[ "$value" == 0 || "$value" == 1 ]] || ks_die "$1 must be 0 or 1, got '$value'"
}

ks_find_ksearch() {
  if [[ -n "${KSEARCH_BIN:-}" ]]; then
    [[ -f "$KSEARCH_BIN" && -x "$KSEARCH_BIN" ]] || ks_die "KSEARCH_BIN=$KSEARCH_BIN is not an executable file"
    KS_BIN="$KSEARCH_BIN"
  elif [[ -f "$KS_REPO_ROOT/build/ksearch" && -x "$KS_REPO_ROOT/build/ksearch" ]]; then
    KS_BIN="$KS_REPO_ROOT/build/ksearch"
  elif KS_BIN="$(command -v ksearch)"; then
    :
  else
    ks_die "no ksearch binary: set KSEARCH_BIN, build $KS_REPO_ROOT/build/ksearch (cmake -B build -G Ninja && cmake --build build), or put ksearch on PATH"
  fi
}

ks_extra_has() {  # $1: a ksearch flag; true when the args after `--` contain it (--flag or --flag=...)
  local arg
  for arg in "${KS_EXTRA_ARGS[@]}"; do
    [[ "$arg" == "$1" || "$arg" == "$1="* ]] && return 0
  done
  return 1
}

ks_key_needed() {
  # ksearch's own rule: a loopback endpoint needs no key, nor does a replayed or file-exchange run.
  case "$BASE_URL" in
    *://localhost* | *://127.* | *://\[::1\]* | *://0.0.0.0*) return 1 ;;
  esac
  ks_extra_has --llm-replay && return 1
  local i
  for ((i = 0; i < ${#KS_EXTRA_ARGS[@]}; i++)); do
    case "${KS_EXTRA_ARGS[i]}" in
      --llm-provider=exchange | --llm-provider=replay) return 1 ;;
      --llm-provider)
        [[ "${KS_EXTRA_ARGS[i + 1]:-}" == exchange || "${KS_EXTRA_ARGS[i + 1]:-}" == replay ]] && return 1
        ;;
    esac
  done
  return 0
}

ks_setup_key() {
  ks_extra_has --api-key && ks_die "--api-key would put the key on a command line; set $LLM_API_KEY_ENV in the environment instead"
  # Validated before the indirect expansion below, which would evaluate a subscript in a bad name.
  [[ "$LLM_API_KEY_ENV" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || ks_die "LLM_API_KEY_ENV='$LLM_API_KEY_ENV' is not a variable name"
  if [[ -n "${!LLM_API_KEY_ENV:-}" ]]; then
    # ksearch reads LLM_API_KEY first, so the named variable wins over a stray LLM_API_KEY.
    if [[ "$LLM_API_KEY_ENV" != LLM_API_KEY ]]; then
      LLM_API_KEY="${!LLM_API_KEY_ENV}"
      export LLM_API_KEY
    fi
    KS_KEY_SOURCE="$LLM_API_KEY_ENV"
  elif ks_key_needed; then
    ks_die "$LLM_API_KEY_ENV is not set: export it in the environment (the key is never taken on a command line), or name another variable with LLM_API_KEY_ENV"
  fi
}

ks_build_command() {
  KS_CMD=("$KS_BIN" run "${KS_TASK_ARGS[@]}"
    --model-name "$MODEL"
    --base-url "$BASE_URL"
    --target-gpu "$TARGET_GPU"
    --max-opt-rounds "$MAX_OPT_ROUNDS"
    --artifacts-dir "$ARTIFACTS_DIR"
    --device "$DEVICE"
    --eval-timeout "$EVAL_TIMEOUT"
    --eval-mode "$EVAL_MODE")
  if [[ "$PARALLEL_WORKLOADS" == 1 ]]; then
    KS_CMD+=(--parallel-workloads --max-parallel-workloads "$MAX_PARALLEL_WORKLOADS")
  fi
  [[ -n "$WORKER_LAUNCHER" ]] && KS_CMD+=(--worker-launcher "$WORKER_LAUNCHER")
  if [[ -n "${FEEDBACK_WORKLOADS:-}" ]]; then
    local -a uuids
    # -d '': split the whole value, newlines included, not just its first line.
    read -r -d '' -a uuids <<<"$FEEDBACK_WORKLOADS" || true
    KS_CMD+=(--feedback-workloads "${uuids[@]}")
  fi
  [[ -n "${BASELINE_SOLUTION:-}" ]] && KS_CMD+=(--baseline-solution "$BASELINE_SOLUTION")
  [[ -n "${CONTINUE_FROM_SOLUTION:-}" ]] && KS_CMD+=(--continue-from-solution "$CONTINUE_FROM_SOLUTION")
  if [[ "$WORLD_MODEL" == 1 ]]; then
    KS_CMD+=(--world-model
      --wm-stagnation-window "$WM_STAGNATION_WINDOW"
      --wm-max-cycle-rounds "$WM_MAX_CYCLE_ROUNDS")
    # Empty: ksearch's policy default (4).
    [[ -n "$WM_MAX_DIFFICULTY" ]] && KS_CMD+=(--wm-max-difficulty "$WM_MAX_DIFFICULTY")
  fi
  [[ "$RESUME" == 1 ]] && KS_CMD+=(--resume)
  # ksearch records these in run.json; the metrics reach W&B through the sidecar.
  [[ "$WANDB" == 1 ]] && KS_CMD+=(--wandb --wandb-project "$WANDB_PROJECT" --run-name "$RUN_NAME")
  KS_CMD+=("${KS_EXTRA_ARGS[@]}")

  if [[ "$WANDB" == 1 ]]; then
    KS_SIDECAR_CMD=("$PYTHON" "$KS_REPO_ROOT/scripts/wandb_sidecar.py" "$WANDB_RUN_DIR"
      --project "$WANDB_PROJECT" --name "$RUN_NAME")
    [[ -n "$WANDB_ENTITY" ]] && KS_SIDECAR_CMD+=(--entity "$WANDB_ENTITY")
  fi
  return 0
}

ks_print_command() {  # $@: a command; printed so that a shell reads it back as the same words
  printf '%q' "$1"
  shift
  (($# > 0)) && printf ' %q' "$@"
  printf '\n'
}

ks_dry_run() {
  if [[ -n "$KS_KEY_SOURCE" && "$KS_KEY_SOURCE" != LLM_API_KEY ]]; then
    printf '# environment: LLM_API_KEY taken from $%s (value not shown)\n' "$KS_KEY_SOURCE"
  fi
  if [[ "$WANDB" == 1 ]]; then
    "$PYTHON" -c 'import wandb' 2>/dev/null || ks_warn "wandb is not installed for $PYTHON (pip install wandb); a real run would stop here"
    printf '# W&B sidecar, in the background until ksearch exits:\n'
    ks_print_command "${KS_SIDECAR_CMD[@]}"
  fi
  ks_print_command "${KS_CMD[@]}"
}

ks_stop_sidecar() {
  [[ -n "$KS_SIDECAR_PID" ]] || return 0
  if kill -0 "$KS_SIDECAR_PID" 2>/dev/null; then
    # SIGTERM makes it read the metrics a last time and close the W&B run; uploading can take a while.
    kill -TERM "$KS_SIDECAR_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 120; i++)); do
      kill -0 "$KS_SIDECAR_PID" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$KS_SIDECAR_PID" 2>/dev/null; then
      ks_warn "the W&B sidecar did not stop within 60 s; killing it (run it again with --once to finish the upload)"
      kill -KILL "$KS_SIDECAR_PID" 2>/dev/null || true
    fi
  fi
  wait "$KS_SIDECAR_PID" 2>/dev/null || true
  KS_SIDECAR_PID=""
}

ks_forward_signal() {
  KS_INTERRUPTED=1
  # TERM, not INT: a background child of a non-interactive shell ignores SIGINT.
  if [[ -n "$KS_CHILD_PID" ]]; then kill -TERM "$KS_CHILD_PID" 2>/dev/null || true; fi
}

ks_run_with_sidecar() {
  "$PYTHON" -c 'import wandb' 2>/dev/null || ks_die "WANDB=1 needs the wandb package for $PYTHON: pip install wandb"
  trap ks_stop_sidecar EXIT
  # ksearch runs as a child (not exec) so that the EXIT trap can stop the sidecar after it;
  # signals sent to the launcher are passed on to ksearch.
  trap ks_forward_signal TERM INT HUP
  # The sidecar has no use for the LLM key: it does not get it.
  env -u LLM_API_KEY -u "$LLM_API_KEY_ENV" "${KS_SIDECAR_CMD[@]}" &
  KS_SIDECAR_PID=$!
  "${KS_CMD[@]}" &
  KS_CHILD_PID=$!
  # A signal that came before ksearch started found no one to pass it to.
  if [[ "$KS_INTERRUPTED" == 1 ]]; then kill -TERM "$KS_CHILD_PID" 2>/dev/null || true; fi
  local rc
  while :; do
    KS_INTERRUPTED=0
    rc=0
    wait "$KS_CHILD_PID" || rc=$?
    # A trapped signal ends `wait` early (status > 128); wait again for ksearch's own status.
    [[ "$KS_INTERRUPTED" == 1 && "$rc" -gt 128 ]] || break
  done
  exit "$rc"
}

ks_main() {
  ks_parse_args "$@"
  local name
  for name in RESUME WANDB WORLD_MODEL PARALLEL_WORKLOADS "${KS_SWITCHES[@]}"; do ks_check_switch "$name"; done
  [[ "$MAX_PARALLEL_WORKLOADS" =~ ^[0-9]+$ ]] || ks_die "MAX_PARALLEL_WORKLOADS='$MAX_PARALLEL_WORKLOADS' is not a count"
  for name in "${KS_REQUIRED[@]}"; do
    [[ -n "${!name}" ]] || ks_die "$name must not be empty (see --help)"
  done
  ks_find_ksearch
  ks_setup_key
  ks_build_command
  if [[ "$KS_DRY_RUN" == 1 ]]; then
    ks_dry_run
    exit 0
  fi
  if [[ "$WANDB" == 1 ]]; then
    ks_run_with_sidecar
  fi
  exec "${KS_CMD[@]}"
}
