#!/usr/bin/env bash
# Packs the hand-written solutions kept as plain files into FlashInfer Trace Solution JSON, in each
# bundled dataset (tasks/flashinfer, tasks/gpumode/trimul, tasks/kernelbench) or the dataset folders given:
#   references/<definition>/{kernel.cu,launch.json}
#       -> solutions/<op_type>/<definition>_reference.json   (found as the dataset's reference)
#   examples/<definition>/<variant>/{kernel.cu,launch.json}
#       -> examples/<definition>/<variant>.json               (for `ksearch eval`)
# The files are the source of truth; tests/tasks/bundled_solutions_test.cc fails when a packed
# JSON differs from them, so run this after editing a kernel. Needs jq.
# Usage: tasks/pack_solutions.sh [DATASET_DIR...]
set -euo pipefail

tasks_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v jq >/dev/null || { echo "pack_solutions.sh: needs jq" >&2; exit 2; }

# pack DIR NAME DEFINITION AUTHOR OUT
pack() {
  local dir="$1" name="$2" definition="$3" author="$4" out="$5"
  jq -n --arg name "$name" --arg definition "$definition" --arg author "$author" \
    --rawfile kernel "$dir/kernel.cu" --rawfile plan "$dir/launch.json" '{
      name: $name, definition: $definition, author: $author,
      description: (($plan | fromjson | .comment) // ""),
      spec: {language: "cuda", target_hardware: ["cuda"], entry_point: "kernel.cu::run", dependencies: []},
      sources: [{path: "kernel.cu", content: $kernel}, {path: "launch.json", content: $plan}]
    }' > "$out.tmp"
  mv "$out.tmp" "$out"
  echo "wrote ${out#"$tasks_dir"/}"
}

op_type_of() {
  local here="$1" file
  file="$(find "$here/definitions" -name "$2.json" -print -quit)"
  [[ -n "$file" ]] || { echo "pack_solutions.sh: no definition $2 under $here/definitions" >&2; exit 1; }
  basename "$(dirname "$file")"
}

# pack_dataset DIR: every reference and example of the dataset in DIR.
pack_dataset() {
  local here="$1" dir definition op_type variant
  for dir in "$here"/references/*/; do
    [[ -f "$dir/kernel.cu" ]] || continue
    definition="$(basename "$dir")"
    op_type="$(op_type_of "$here" "$definition")"
    mkdir -p "$here/solutions/$op_type"
    pack "${dir%/}" "${definition}_reference" "$definition" "ksearch (native reference)" \
      "$here/solutions/$op_type/${definition}_reference.json"
  done

  for dir in "$here"/examples/*/*/; do
    [[ -f "$dir/kernel.cu" ]] || continue
    variant="$(basename "$dir")"
    definition="$(basename "$(dirname "$dir")")"
    # KernelBench's definitions are made by its import (tasks/kernelbench/import_problem.py).
    [[ -d "$here/definitions" ]] && op_type_of "$here" "$definition" >/dev/null
    pack "${dir%/}" "${definition}_${variant}" "$definition" "ksearch (hand-written example)" \
      "$here/examples/$definition/$variant.json"
  done
}

if (($# == 0)); then set -- "$tasks_dir/flashinfer" "$tasks_dir/gpumode/trimul" "$tasks_dir/kernelbench"; fi
for dataset in "$@"; do pack_dataset "$(cd "$dataset" && pwd)"; done
