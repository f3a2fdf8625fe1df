#!/usr/bin/env bash
# Cross-checks the bundled native CUDA references against the definitions' own PyTorch references
# (the oracle) on every workload, and prints each evaluation table. Run on a GPU machine with
# python3 + torch + safetensors, from the repository root, after building:
#
#   scripts/check_bundled_references.sh [DEFINITION...]     # default: all four
#
# Environment: KSEARCH_BIN (default build/ksearch), TRIALS (input sets per workload, default 2),
# TIME_BUDGET_MS (per timing measurement, default 300), OUT_DIR (logs and JSON, default
# results/reference-check). Exit status: the number of definitions whose reference failed.
set -uo pipefail

KSEARCH_BIN="${KSEARCH_BIN:-build/ksearch}"
TRIALS="${TRIALS:-2}"
TIME_BUDGET_MS="${TIME_BUDGET_MS:-300}"
OUT_DIR="${OUT_DIR:-results/reference-check}"

definitions=("$@")
if [[ ${#definitions[@]} -eq 0 ]]; then
  definitions=(gqa_paged_decode_h32_kv4_d128_ps1 mla_paged_decode_h16_ckv512_kpe64_ps1
               mla_paged_prefill_causal_h16_ckv512_kpe64_ps1
               moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048)
fi
mkdir -p "$OUT_DIR"
failed=0
for definition in "${definitions[@]}"; do
  reference="$(find tasks/flashinfer/solutions -name "${definition}_reference.json" -print -quit)"
  if [[ -z "$reference" ]]; then
    echo "no bundled reference for $definition" >&2
    failed=$((failed + 1))
    continue
  fi
  echo "== $definition: $reference against the PyTorch oracle"
  if ! "$KSEARCH_BIN" --json eval "$reference" --definition "$definition" --reference oracle \
      --trials "$TRIALS" --time-budget-ms "$TIME_BUDGET_MS" --timeout 3600 \
      >"$OUT_DIR/$definition.json" 2>"$OUT_DIR/$definition.log"; then
    failed=$((failed + 1))
  fi
  cat "$OUT_DIR/$definition.log"
done
exit "$failed"
