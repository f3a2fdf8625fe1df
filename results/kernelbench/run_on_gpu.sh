#!/usr/bin/env bash
# How results/kernelbench/*.log were made on the GPU box: build, then `ksearch eval` of the bundled
# examples for the two bundled problems (tasks/kernelbench/problems), a wrong candidate at both
# tolerances, and a batch summary per level. Logs go to $OUT (default results/kernelbench).
set -uo pipefail
OUT="${OUT:-results/kernelbench}"
export KSEARCH_CACHE_DIR="${KSEARCH_CACHE_DIR:-/tmp/ksearch-cache}"
cmake -B build-box -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  cmake --build build-box -j16 --target ksearch > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
ks=./build-box/ksearch
root=tasks/kernelbench/problems
ex=tasks/kernelbench/examples
l2=kernelbench_l2_p1_Residual_LayerNorm_GELU_Scale_Bias
run() { local log="$1"; shift; echo "== ksearch $*" > "$OUT/$log"; "$ks" "$@" >> "$OUT/$log" 2>&1; echo "exit=$?" >> "$OUT/$log"; tail -6 "$OUT/$log"; }
run l1_row_softmax.log eval --task kernelbench --kernelbench-root $root --kernelbench-level 1 --kernelbench-problem-id 1 \
  $ex/kernelbench_l1_p1_Row_softmax/row_softmax.json
run l2_fused.log eval --task kernelbench --kernelbench-root $root --kernelbench-level 2 --kernelbench-problem-id 1 \
  $ex/$l2/fused.json
run l2_tanh_gelu_fp32_tol.log eval --task kernelbench --kernelbench-root $root --kernelbench-level 2 --kernelbench-problem-id 1 \
  $ex/$l2/tanh_gelu.json
run l2_tanh_gelu_v01_tol.log eval --task kernelbench --kernelbench-root $root --kernelbench-level 2 --kernelbench-problem-id 1 \
  --kernelbench-tolerance 1e-2 $ex/$l2/tanh_gelu.json
solutions=$(mktemp -d)
cp $ex/kernelbench_l1_p1_Row_softmax/row_softmax.json $ex/$l2/fused.json "$solutions/"
run batch_level1.log eval --task kernelbench --kernelbench-root $root --kernelbench-level 1 "$solutions" --summary "$OUT/summary_level1.json"
run batch_level2.log eval --task kernelbench --kernelbench-root $root --kernelbench-level 2 "$solutions" --summary "$OUT/summary_level2.json"
