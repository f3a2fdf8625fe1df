#!/usr/bin/env bash
# World-model search for GPUMode TriMul (AlphaFold3's outgoing triangle multiplicative update),
# measured as the leaderboard measures it.
#
# NEEDS THE GPUMODE BACKEND (issue 7). Its flags exist (`ksearch run --help`: --task gpumode,
# --gpumode-mode, --gpumode-keep-tmp, --gpumode-task-dir) and --dry-run checks them, but until
# the backend lands `ksearch run --task gpumode` stops with "not implemented yet" (exit 2).
#
# K-Search's gpumode_trimul_wm.sh (tasks-spec §0): gpt-5.2, 300 rounds, stagnation window 5,
# leaderboard mode, on an H100. Not carried over: its language (Triton; ksearch compiles CUDA
# only) and its seed solution, which is not published (CONTINUE_FROM_SOLUTION).
# WANDB_RUN_DIR assumes the backend names its run folder after the definition (trimul).
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
GPUMODE_MODE="${GPUMODE_MODE:-leaderboard}"  # benchmark, test, leaderboard or profile
GPUMODE_KEEP_TMP="${GPUMODE_KEEP_TMP:-0}"  # 1: keep each evaluation's temporary folder
GPUMODE_TASK_DIR="${GPUMODE_TASK_DIR:-}"  # empty: the bundled TriMul task
ARTIFACTS_DIR="${ARTIFACTS_DIR:-.ksearch}"
MAX_OPT_ROUNDS="${MAX_OPT_ROUNDS:-300}"  # the run's total, across resumes
CONTINUE_FROM_SOLUTION="${CONTINUE_FROM_SOLUTION:-}"  # a seed solution (.json file)
TARGET_GPU="${TARGET_GPU:-H100}"
DEVICE="${DEVICE:-0}"  # CUDA device ordinal for evaluations
EVAL_TIMEOUT="${EVAL_TIMEOUT:-300}"  # seconds before an evaluation is killed
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

KS_VARS=(KSEARCH_BIN MODEL BASE_URL LLM_API_KEY_ENV DEFINITION GPUMODE_MODE GPUMODE_KEEP_TMP GPUMODE_TASK_DIR
  ARTIFACTS_DIR MAX_OPT_ROUNDS CONTINUE_FROM_SOLUTION TARGET_GPU DEVICE EVAL_TIMEOUT EVAL_MODE
  WORLD_MODEL WM_STAGNATION_WINDOW WM_MAX_CYCLE_ROUNDS WM_MAX_DIFFICULTY RESUME
  WANDB WANDB_PROJECT WANDB_ENTITY RUN_NAME WANDB_RUN_DIR PYTHON)
KS_REQUIRED=(MODEL DEFINITION GPUMODE_MODE ARTIFACTS_DIR)
KS_SWITCHES=(GPUMODE_KEEP_TMP)
KS_TASK_ARGS=(--task gpumode --definition "$DEFINITION" --gpumode-mode "$GPUMODE_MODE")
if [[ "$GPUMODE_KEEP_TMP" == 1 ]]; then KS_TASK_ARGS+=(--gpumode-keep-tmp); fi
if [[ -n "$GPUMODE_TASK_DIR" ]]; then KS_TASK_ARGS+=(--gpumode-task-dir "$GPUMODE_TASK_DIR"); fi

ks_main "$@"
