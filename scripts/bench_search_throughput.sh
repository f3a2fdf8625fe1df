#!/usr/bin/env bash
# Search throughput (issue 10): candidates per minute of whole `ksearch run` searches (the plain
# loop) against scripts/canned_llm_endpoint.py, which answers every call with the same real
# kernel after DELAY seconds (a stand-in for the model's latency), for each GPU count and
# --samples-per-round. One LLM call per candidate, so the table shows how much of the LLM's time
# the evaluations hide and how many GPUs the samples keep busy. Prints a Markdown table; each
# run's log and records stay in OUT_DIR. Needs a GPU box and python3.
#
#   scripts/bench_search_throughput.sh [OUT_DIR]
#   DELAY=10 ROUNDS=12 SAMPLES="1 4" GPUS="1 2" scripts/bench_search_throughput.sh /tmp/bench
set -euo pipefail
repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
KSEARCH_BIN="${KSEARCH_BIN:-$repo/build/ksearch}"
OUT_DIR="${1:-$(mktemp -d)}"
DELAY="${DELAY:-5}"          # seconds the canned model takes per reply
ROUNDS="${ROUNDS:-8}"        # candidates per search
SAMPLES="${SAMPLES:-1 2 4}"  # --samples-per-round values
GPUS="${GPUS:-1 2}"          # --max-parallel-workloads values
DEFINITION="${DEFINITION:-gqa_paged_decode_h32_kv4_d128_ps1}"
SOLUTION="${SOLUTION:-$repo/tasks/flashinfer/examples/$DEFINITION/split_kv.json}"
mkdir -p "$OUT_DIR"

python3 "$repo/scripts/canned_llm_endpoint.py" --solution "$SOLUTION" --delay "$DELAY" \
  --port-file "$OUT_DIR/port" &
endpoint=$!
trap 'kill $endpoint 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s "$OUT_DIR/port" ]] && break; sleep 0.1; done
[[ -s "$OUT_DIR/port" ]] || { echo "error: the canned endpoint did not start" >&2; exit 1; }
base_url="http://127.0.0.1:$(cat "$OUT_DIR/port")/v1"

echo "$DEFINITION, $ROUNDS candidates per search, the model answers in ${DELAY} s, $(basename "$SOLUTION")"
echo "| GPUs | samples per round | candidates | passed | wall s | candidates/min | vs 1 GPU, 1 sample |"
echo "|---|---|---|---|---|---|---|"
base_rate=""
for gpus in $GPUS; do
  for samples in $SAMPLES; do
    run="$OUT_DIR/gpus${gpus}_samples${samples}"
    rm -rf "$run"
    start=$(date +%s.%N)
    "$KSEARCH_BIN" run --task flashinfer --definition "$DEFINITION" --model-name canned --base-url "$base_url" \
      --max-opt-rounds "$ROUNDS" --samples-per-round "$samples" --parallel-workloads \
      --max-parallel-workloads "$gpus" --artifacts-dir "$run" > "$run.log" 2>&1 || true
    end=$(date +%s.%N)
    records="$run/$DEFINITION/solutions.jsonl"
    candidates=$(grep -c '"kind":"round"' "$records" 2>/dev/null || true)
    passed=$(grep -c '"status":"PASSED"' "$records" 2>/dev/null || true)
    read -r wall rate < <(awk -v s="$start" -v e="$end" -v n="${candidates:-0}" \
      'BEGIN { w = e - s; printf "%.1f %.2f\n", w, (w > 0 ? 60 * n / w : 0) }')
    [[ -z "$base_rate" ]] && base_rate="$rate"
    ratio=$(awk -v r="$rate" -v b="$base_rate" 'BEGIN { printf "%.2fx", (b > 0 ? r / b : 0) }')
    echo "| $gpus | $samples | ${candidates:-0} | ${passed:-0} | $wall | $rate | $ratio |"
  done
done
