#!/usr/bin/env bash
# World-model search for GPUMode TriMul (AlphaFold3's outgoing triangle multiplicative update),
# measured as the leaderboard measures it.
#
# The task is the bundled TriMul dataset (tasks/gpumode/trimul: 18 test shapes, 7 benchmark
# shapes, native fp32 reference); the score is 1 / the geometric mean of the 7 benchmark means.
#
# K-Search's gpumode_trimul_wm.sh (docs/k-search-compatibility.md, "Launch settings"): gpt-5.2,
# 300 rounds, stagnation window 5, leaderboard mode, on an H100. Not carried over: its language
# (Triton; ksearch compiles CUDA only) and its seed solution, which is not published
# (CONTINUE_FROM_SOLUTION).
# The run folder is named after the definition: $ARTIFACTS_DIR/trimul.
#
# Examples:
#   OPENAI_API_KEY=... scripts/gpumode_trimul_wm.sh
#   scripts/gpumode_trimul_wm.sh --resume                  # after a kill, or to add rounds
#   GPUMODE_MODE=benchmark MAX_OPT_ROUNDS=50 scripts/gpumode_trimul_wm.sh
#   scripts/gpumode_trimul_wm.sh --dry-run                 # print the command, run nothing
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/launch_common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/launch_common.sh"

KSEARCH_BIN="${KSEARCH_BIN:-}"  # empty: ./build/ksearch, then ksearch on PATH
MODEL="${MODEL:-gpt-5.2}"  # --model-name
BASE_URL="${BASE_URL:-https://api.openai.com/v1}"  # --base-url (any OpenAI-compatible endpoint)
LLM_API_KEY_ENV="${LLM_API_KEY_ENV:-OPENAI_API_KEY}"  # the variable that holds the key (never the key itself)
DEFINITION="${DEFINITION:-trimul}"  # the backend's one definition
GPUMODE_MODE="${GPUMODE_MODE:-leaderboard}"  # leaderboard (fresh inputs every timed call), benchmark or test
GPUMODE_COLD_L2="${GPUMODE_COLD_L2:-0}"  # 1: flush L2 before every timed call (upstream times warm)
GPUMODE_TASK_DIR="${GPUMODE_TASK_DIR:-}"  # empty: the bundled TriMul dataset
ARTIFACTS_DIR="${ARTIFACTS_DIR:-.ksearch}"
MAX_OPT_ROUNDS="${MAX_OPT_ROUNDS:-300}"  # the run's total, across resumes
CONTINUE_FROM_SOLUTION="${CONTINUE_FROM_SOLUTION:-}"  # a seed solution (.json file)
TARGET_GPU="${TARGET_GPU:-H100}"
DEVICE="${DEVICE:-0}"  # CUDA device ordinal for evaluations
EVAL_TIMEOUT="${EVAL_TIMEOUT:-1200}"  # seconds before an evaluation is killed (at least upstream's 1200 per mode)
EVAL_MODE="${EVAL_MODE:-gpu}"  # compile-only: no GPU, nothing can pass
WORLD_MODEL="${WORLD_MODEL:-1}"  # 0: the plain loop, and no --wm-* flags
WM_STAGNATION_WINDOW="${WM_STAGNATION_WINDOW:-5}"
WM_MAX_CYCLE_ROUNDS="${WM_MAX_CYCLE_ROUNDS:-10}"  # 0: no cap (K-Search had none)
WM_MAX_DIFFICULTY="${WM_MAX_DIFFICULTY:-}"  # empty: ksearch's default (4)
RESUME="${RESUME:-0}"  # 1 (or --resume): go on with the run in ARTIFACTS_DIR
WANDB="${WANDB:-0}"  # 1: stream metrics to W&B with scripts/wandb_sidecar.py
WANDB_PROJECT="${WANDB_PROJECT:-ksearch}"
WANDB_ENTITY="${WANDB_ENTITY:-}"  # empty: your W&B default entity
RUN_NAME="${RUN_NAME:-$MODEL-wm-gpumode-$DEFINITION-opt$MAX_OPT_ROUNDS}"
WANDB_RUN_DIR="${WANDB_RUN_DIR:-$ARTIFACTS_DIR/$DEFINITION}"  # the folder the sidecar follows
PYTHON="${PYTHON:-python3}"  # runs the sidecar

KS_VARS=(KSEARCH_BIN MODEL BASE_URL LLM_API_KEY_ENV DEFINITION GPUMODE_MODE GPUMODE_COLD_L2 GPUMODE_TASK_DIR
  ARTIFACTS_DIR MAX_OPT_ROUNDS CONTINUE_FROM_SOLUTION TARGET_GPU DEVICE EVAL_TIMEOUT EVAL_MODE
  WORLD_MODEL WM_STAGNATION_WINDOW WM_MAX_CYCLE_ROUNDS WM_MAX_DIFFICULTY RESUME
  WANDB WANDB_PROJECT WANDB_ENTITY RUN_NAME WANDB_RUN_DIR PYTHON)
KS_REQUIRED=(MODEL DEFINITION GPUMODE_MODE ARTIFACTS_DIR)
KS_SWITCHES=(GPUMODE_COLD_L2)
KS_TASK_ARGS=(--task gpumode --definition "$DEFINITION" --gpumode-mode "$GPUMODE_MODE")
if [[ "$GPUMODE_COLD_L2" == 1 ]]; then KS_TASK_ARGS+=(--gpumode-cold-l2); fi
if [[ -n "$GPUMODE_TASK_DIR" ]]; then KS_TASK_ARGS+=(--gpumode-task-dir "$GPUMODE_TASK_DIR"); fi

ks_main "$@"
