#!/usr/bin/env bash
# World-model search for one KernelBench problem: a CUDA replacement for its Model.forward.
#
# NEEDS THE KERNELBENCH BACKEND (issue 8). Its flags exist (`ksearch run --help`: --task
# kernelbench, --kernelbench-level, --kernelbench-problem-id, --kernelbench-root) and --dry-run
# checks them, but until the backend lands `ksearch run --task kernelbench` stops with
# "not implemented yet" (exit 2).
#
# K-Search's kernelbench_wm.sh: gpt-5.2, 50 rounds, stagnation window 5, level 1 problem 1,
# 5 correctness trials, on an H100. Not carried over: its language (Triton; ksearch compiles
# CUDA only), its eval mode (local or Modal; ksearch evaluates locally) and its 100 performance
# trials (no ksearch flag yet; issue 8 makes them configurable).
# WANDB_RUN_DIR guesses the backend's run folder name (kernelbench_l<L>_p<P>); set it when the
# backend names it otherwise.
#
# Examples:
#   KERNELBENCH_ROOT=~/KernelBench OPENAI_API_KEY=... scripts/kernelbench_wm.sh
#   KERNELBENCH_LEVEL=2 KERNELBENCH_PROBLEM_ID=17 scripts/kernelbench_wm.sh --resume
#   scripts/kernelbench_wm.sh --dry-run                    # print the command, run nothing
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/launch_common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/launch_common.sh"

KSEARCH_BIN="${KSEARCH_BIN:-}"  # empty: ./build/ksearch, then ksearch on PATH
MODEL="${MODEL:-gpt-5.2}"  # --model-name
BASE_URL="${BASE_URL:-https://api.openai.com/v1}"  # --base-url (any OpenAI-compatible endpoint)
LLM_API_KEY_ENV="${LLM_API_KEY_ENV:-OPENAI_API_KEY}"  # the variable that holds the key (never the key itself)
KERNELBENCH_ROOT="${KERNELBENCH_ROOT:-}"  # your KernelBench checkout (required)
KERNELBENCH_LEVEL="${KERNELBENCH_LEVEL:-1}"  # 1 to 4
KERNELBENCH_PROBLEM_ID="${KERNELBENCH_PROBLEM_ID:-1}"  # the number that prefixes the problem's file name
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
WANDB_RUN_DIR="${WANDB_RUN_DIR:-$ARTIFACTS_DIR/kernelbench_l${KERNELBENCH_LEVEL}_p$KERNELBENCH_PROBLEM_ID}"
PYTHON="${PYTHON:-python3}"  # runs the sidecar

KS_VARS=(KSEARCH_BIN MODEL BASE_URL LLM_API_KEY_ENV KERNELBENCH_ROOT KERNELBENCH_LEVEL KERNELBENCH_PROBLEM_ID
  ARTIFACTS_DIR MAX_OPT_ROUNDS CONTINUE_FROM_SOLUTION TARGET_GPU DEVICE EVAL_TIMEOUT EVAL_MODE CORRECTNESS_TRIALS
  WORLD_MODEL WM_STAGNATION_WINDOW WM_MAX_CYCLE_ROUNDS WM_MAX_DIFFICULTY RESUME
  WANDB WANDB_PROJECT WANDB_ENTITY RUN_NAME WANDB_RUN_DIR PYTHON)
KS_REQUIRED=(MODEL KERNELBENCH_ROOT KERNELBENCH_LEVEL KERNELBENCH_PROBLEM_ID ARTIFACTS_DIR)
KS_TASK_ARGS=(--task kernelbench
  --kernelbench-root "$KERNELBENCH_ROOT"
  --kernelbench-level "$KERNELBENCH_LEVEL"
  --kernelbench-problem-id "$KERNELBENCH_PROBLEM_ID"
  --correctness-trials "$CORRECTNESS_TRIALS")

ks_main "$@"
