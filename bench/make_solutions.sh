#!/bin/sh
# Rebuilds the bench dataset's solution files (data/solutions/**.json) from the readable sources in
# kernels/<solution>/{kernel.cu,launch.json}. Run it from anywhere after editing a kernel; the unit
# test BenchDataset.SolutionFilesMatchTheirSources fails until you do. Needs jq.
set -eu
cd "$(dirname "$0")"

# solution NAME DEFINITION FOLDER DESCRIPTION
solution() {
  jq -n --arg name "$1" --arg definition "$2" --arg description "$4" \
    --rawfile kernel "kernels/$1/kernel.cu" --rawfile plan "kernels/$1/launch.json" \
    '{name: $name, definition: $definition, author: "ksearch-bench", description: $description,
      spec: {language: "cuda", target_hardware: ["cuda"], entry_point: "kernel.cu::run", dependencies: []},
      sources: [{path: "kernel.cu", content: $kernel}, {path: "launch.json", content: $plan}]}' \
    > "data/solutions/$3/$1.json.tmp"
  mv "data/solutions/$3/$1.json.tmp" "data/solutions/$3/$1.json"
}

solution scale_add_bench_reference scale_add_bench elementwise "Reference: one thread per element."
solution scale_add_bench_vec4 scale_add_bench elementwise "float4 loads and stores with streaming cache hints."
solution gqa_decode_bench_reference gqa_decode_bench gqa \
  "Reference: one block per (batch row, query head), fp32 accumulation, logits in shared memory."
solution gqa_decode_bench_split_kv gqa_decode_bench gqa \
  "Split-KV decode: 16-byte bf16 loads, half-warp dot products, online softmax in base 2, block merge in shared memory, a merge kernel across splits."
solution spin_bench_reference spin_bench clock "Reference: copies x to out, without waiting."
solution spin_bench_spin spin_bench clock "Waits spin_ns on the GPU's global timer, then copies x to out: a kernel of known length."
