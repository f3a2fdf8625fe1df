#!/usr/bin/env bash
# World-model search for one KernelBench problem: a CUDA replacement for its Model.forward.
# The backend imports the problem from your KernelBench checkout once (it needs python3 with
# torch and safetensors) and scores candidates by their speedup over PyTorch eager
# (tasks/kernelbench/README.md).
#
# K-Search's kernelbench_wm.sh: gpt-5.2, 50 rounds, stagnation window 5, level 1 problem 1,
# 5 correctness trials, 100 performance trials, on an H100. These are the defaults here. The
# performance trials are KERNELBENCH_PERF_TRIALS; one version of K-Search's
# generate_kernels_and_eval.py defaults to 1000 of them. Not carried over: its language (Triton;
# ksearch compiles CUDA only) and its eval mode (local or Modal; ksearch evaluates locally).
# The run folder is named after the definition, $ARTIFACTS_DIR/kernelbench_l<L>_p<P>_<Name>;
# WANDB_RUN_DIR finds <Name> in the problem's file name under KERNELBENCH_ROOT.
#
# Examples:
#   KERNELBENCH_ROOT=~/KernelBench OPENAI_API_KEY=... scripts/kernelbench_wm.sh
#   KERNELBENCH_LEVEL=2 KERNELBENCH_PROBLEM_ID=17 scripts/kernelbench_wm.sh --resume
#   KERNELBENCH_PRECISION=bf16 KERNELBENCH_PERF_TRIALS=1000 scripts/kernelbench_wm.sh
#   scripts/kernelbench_wm.sh --dry-run                    # print the command, run nothing
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/launch_common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/launch_common.sh"

# The problem's definition name, as ksearch gives it: kernelbench_l<L>_p<P>_<Name>, <Name> being
# the file name's part after "<P>_" with every character other than [A-Za-z0-9_] turned into
# '_'. The level folder is ROOT/level<L>, else ROOT/KernelBench/level<L>. Without a matching
# file (a wrong root or id, which ksearch then reports): kernelbench_l<L>_p<P>.
kernelbench_definition() {
  local prefix="kernelbench_l${KERNELBENCH_LEVEL}_p$KERNELBENCH_PROBLEM_ID" dir file name
  for dir in "$KERNELBENCH_ROOT/level$KERNELBENCH_LEVEL" "$KERNELBENCH_ROOT/KernelBench/level$KERNELBENCH_LEVEL"; do
    [[ -n "$KERNELBENCH_ROOT" && -d "$dir" ]] || continue
    for file in "$dir/${KERNELBENCH_PROBLEM_ID}_"*.py; do
      [[ -f "$file" ]] || continue
      name="${file##*/}"
      name="${name#"${KERNELBENCH_PROBLEM_ID}_"}"
      name="${name%.py}"
      printf '%s_%s\n' "$prefix" "${name//[^A-Za-z0-9_]/_}"
      return 0
    done
    break
  done
  printf '%s\n' "$prefix"
}

KSEARCH_BIN="${KSEARCH_BIN:-}"  # empty: ./build/ksearch, then ksearch on PATH
MODEL="${MODEL:-gpt-5.2}"  # --model-name
BASE_URL="${BASE_URL:-https://api.openai.com/v1}"  # --base-url (any OpenAI-compatible endpoint)
LLM_API_KEY_ENV="${LLM_API_KEY_ENV:-OPENAI_API_KEY}"  # the variable that holds the key (never the key itself)
KERNELBENCH_ROOT="${KERNELBENCH_ROOT:-}"  # your KernelBench checkout (required)
KERNELBENCH_LEVEL="${KERNELBENCH_LEVEL:-1}"  # 1 to 4
KERNELBENCH_PROBLEM_ID="${KERNELBENCH_PROBLEM_ID:-1}"  # the number that prefixes the problem's file name
KERNELBENCH_PRECISION="${KERNELBENCH_PRECISION:-fp32}"  # fp32, fp16 or bf16
KERNELBENCH_PERF_TRIALS="${KERNELBENCH_PERF_TRIALS:-100}"  # timed calls per evaluation and baseline (K-Search's script: 100)
KERNELBENCH_TOLERANCE="${KERNELBENCH_TOLERANCE:-}"  # empty: by precision (1e-4 fp32, 1e-2 fp16/bf16); 1e-2: the v0.1 protocol
ARTIFACTS_DIR="${ARTIFACTS_DIR:-.ksearch}"
MAX_OPT_ROUNDS="${MAX_OPT_ROUNDS:-50}"  # the run's total, across resumes
CONTINUE_FROM_SOLUTION="${CONTINUE_FROM_SOLUTION:-}"  # a seed solution (.json file)
TARGET_GPU="${TARGET_GPU:-H100}"
DEVICE="${DEVICE:-0}"  # CUDA device ordinal for evaluations
EVAL_TIMEOUT="${EVAL_TIMEOUT:-300}"  # seconds before an evaluation is killed
EVAL_MODE="${EVAL_MODE:-gpu}"  # compile-only: no GPU, nothing can pass
CORRECTNESS_TRIALS="${CORRECTNESS_TRIALS:-5}"  # input sets checked per problem
WORLD_MODEL="${WORLD_MODEL:-1}"  # 0: the plain loop, and no --wm-* flags
WM_STAGNATION_WINDOW="${WM_STAGNATION_WINDOW:-5}"
WM_MAX_CYCLE_ROUNDS="${WM_MAX_CYCLE_ROUNDS:-10}"  # 0: no cap (K-Search had none)
WM_MAX_DIFFICULTY="${WM_MAX_DIFFICULTY:-}"  # empty: ksearch's default (4)
RESUME="${RESUME:-0}"  # 1 (or --resume): go on with the run in ARTIFACTS_DIR
WANDB="${WANDB:-0}"  # 1: stream metrics to W&B with scripts/wandb_sidecar.py
WANDB_PROJECT="${WANDB_PROJECT:-ksearch}"
WANDB_ENTITY="${WANDB_ENTITY:-}"  # empty: your W&B default entity
RUN_NAME="${RUN_NAME:-$MODEL-wm-kernelbench-l$KERNELBENCH_LEVEL-p$KERNELBENCH_PROBLEM_ID-opt$MAX_OPT_ROUNDS}"
WANDB_RUN_DIR="${WANDB_RUN_DIR:-$ARTIFACTS_DIR/$(kernelbench_definition)}"  # the folder the sidecar follows
PYTHON="${PYTHON:-python3}"  # runs the sidecar

KS_VARS=(KSEARCH_BIN MODEL BASE_URL LLM_API_KEY_ENV KERNELBENCH_ROOT KERNELBENCH_LEVEL KERNELBENCH_PROBLEM_ID
  KERNELBENCH_PRECISION KERNELBENCH_PERF_TRIALS KERNELBENCH_TOLERANCE
  ARTIFACTS_DIR MAX_OPT_ROUNDS CONTINUE_FROM_SOLUTION TARGET_GPU DEVICE EVAL_TIMEOUT EVAL_MODE CORRECTNESS_TRIALS
  WORLD_MODEL WM_STAGNATION_WINDOW WM_MAX_CYCLE_ROUNDS WM_MAX_DIFFICULTY RESUME
  WANDB WANDB_PROJECT WANDB_ENTITY RUN_NAME WANDB_RUN_DIR PYTHON)
KS_REQUIRED=(MODEL KERNELBENCH_ROOT KERNELBENCH_LEVEL KERNELBENCH_PROBLEM_ID KERNELBENCH_PRECISION
  KERNELBENCH_PERF_TRIALS ARTIFACTS_DIR)
KS_TASK_ARGS=(--task kernelbench
  --kernelbench-root "$KERNELBENCH_ROOT"
  --kernelbench-level "$KERNELBENCH_LEVEL"
  --kernelbench-problem-id "$KERNELBENCH_PROBLEM_ID"
  --kernelbench-precision "$KERNELBENCH_PRECISION"
  --kernelbench-perf-trials "$KERNELBENCH_PERF_TRIALS"
  --correctness-trials "$CORRECTNESS_TRIALS")
if [[ -n "$KERNELBENCH_TOLERANCE" ]]; then KS_TASK_ARGS+=(--kernelbench-tolerance "$KERNELBENCH_TOLERANCE"); fi

ks_main "$@"
