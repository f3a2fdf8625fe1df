#!/usr/bin/env bash
# World-model search for FlashInfer's MLA paged prefill: mla_paged_prefill_causal_h16_ckv512_kpe64_ps1
# (DeepSeek-V3/R1 incremental prefill at tensor parallel 8, causal, page size 1).
#
# K-Search's settings for this definition (docs/k-search-compatibility.md, "Launch settings"):
# the first 8 workloads of the table as feedback workloads, the 150 s timeout of its baseline
# configuration, on an H100. K-Search has no prefill launch script; rounds (20) and stagnation
# window (7) follow its mla_decode_wm.sh.
#
# The bundled dataset carries this definition's native CUDA reference and K-Search's feedback
# workloads for it (tasks/flashinfer/README.md).
#
# Examples:
#   OPENAI_API_KEY=... scripts/mla_prefill_wm.sh
#   scripts/mla_prefill_wm.sh --resume                      # after a kill, or to add rounds
#   WANDB=1 MAX_OPT_ROUNDS=40 scripts/mla_prefill_wm.sh -- --max-cost-usd 25
#   scripts/mla_prefill_wm.sh --dry-run                     # print the command, run nothing
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/launch_common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/launch_common.sh"

KSEARCH_BIN="${KSEARCH_BIN:-}"  # empty: ./build/ksearch, then ksearch on PATH
MODEL="${MODEL:-gpt-5.2}"  # --model-name
BASE_URL="${BASE_URL:-https://api.openai.com/v1}"  # --base-url (any OpenAI-compatible endpoint)
LLM_API_KEY_ENV="${LLM_API_KEY_ENV:-OPENAI_API_KEY}"  # the variable that holds the key (never the key itself)
TASK_PATH="${TASK_PATH:-$KS_REPO_ROOT/tasks/flashinfer}"  # --task-path
DEFINITION="${DEFINITION:-mla_paged_prefill_causal_h16_ckv512_kpe64_ps1}"
ARTIFACTS_DIR="${ARTIFACTS_DIR:-.ksearch}"  # the run lands in $ARTIFACTS_DIR/$DEFINITION
MAX_OPT_ROUNDS="${MAX_OPT_ROUNDS:-20}"  # the run's total, across resumes
FEEDBACK_WORKLOADS="${FEEDBACK_WORKLOADS:-}"  # UUIDs; empty: the dataset's feedback_workloads.json (K-Search's set)
BASELINE_SOLUTION="${BASELINE_SOLUTION:-}"  # K-Search: flashinfer_wrapper_ea3787 (not bundled)
CONTINUE_FROM_SOLUTION="${CONTINUE_FROM_SOLUTION:-}"  # a seed solution: a dataset name or a .json file
TARGET_GPU="${TARGET_GPU:-H100}"
DEVICE="${DEVICE:-0}"  # CUDA device ordinal for evaluations
EVAL_TIMEOUT="${EVAL_TIMEOUT:-150}"  # seconds before an evaluation is killed
EVAL_MODE="${EVAL_MODE:-gpu}"  # compile-only: no GPU, nothing can pass
WORLD_MODEL="${WORLD_MODEL:-1}"  # 0: the plain loop, and no --wm-* flags
WM_STAGNATION_WINDOW="${WM_STAGNATION_WINDOW:-7}"
WM_MAX_CYCLE_ROUNDS="${WM_MAX_CYCLE_ROUNDS:-10}"  # 0: no cap (K-Search had none)
WM_MAX_DIFFICULTY="${WM_MAX_DIFFICULTY:-}"  # empty: ksearch's default (4)
RESUME="${RESUME:-0}"  # 1 (or --resume): go on with the run in ARTIFACTS_DIR
WANDB="${WANDB:-0}"  # 1: stream metrics to W&B with scripts/wandb_sidecar.py
WANDB_PROJECT="${WANDB_PROJECT:-ksearch}"
WANDB_ENTITY="${WANDB_ENTITY:-}"  # empty: your W&B default entity
RUN_NAME="${RUN_NAME:-$MODEL-wm-$DEFINITION-opt$MAX_OPT_ROUNDS}"
WANDB_RUN_DIR="${WANDB_RUN_DIR:-$ARTIFACTS_DIR/$DEFINITION}"  # the folder the sidecar follows
PYTHON="${PYTHON:-python3}"  # runs the sidecar

KS_VARS=(KSEARCH_BIN MODEL BASE_URL LLM_API_KEY_ENV TASK_PATH DEFINITION ARTIFACTS_DIR MAX_OPT_ROUNDS
  FEEDBACK_WORKLOADS BASELINE_SOLUTION CONTINUE_FROM_SOLUTION TARGET_GPU DEVICE EVAL_TIMEOUT EVAL_MODE
  WORLD_MODEL WM_STAGNATION_WINDOW WM_MAX_CYCLE_ROUNDS WM_MAX_DIFFICULTY RESUME
  WANDB WANDB_PROJECT WANDB_ENTITY RUN_NAME WANDB_RUN_DIR PYTHON)
KS_REQUIRED=(MODEL TASK_PATH DEFINITION ARTIFACTS_DIR)
KS_TASK_ARGS=(--task flashinfer --task-path "$TASK_PATH" --definition "$DEFINITION")

ks_main "$@"
