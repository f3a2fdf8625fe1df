// ksearch/bench/bench_dataset.h — the kernels `ksearch bench eval` measures.
//
// A bench dataset is a FlashInfer Trace dataset (definitions/, workloads/, solutions/; the one
// shipped is bench/data) with one convention on top: among a definition's solutions, the one whose
// name ends in "_reference" is the reference, and every other is a candidate to benchmark against
// it. Unlike `ksearch tasks`, which lists what it can and reports the rest, a bench dataset must be
// whole: any file that does not parse fails the load, since a benchmark over part of its kernels
// would report numbers nobody asked for.
//
// Thread-safety: plain values; loading reads files only.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::bench {

inline constexpr std::string_view reference_suffix = "_reference";

struct bench_solution {
  std::filesystem::path file;  // the Solution JSON
  eval::solution_code code;    // its name, kernel.cu and launch.json
};

struct bench_definition {
  tasks::definition def;
  std::vector<tasks::workload> workloads;  // in file order
  bench_solution reference;
  std::vector<bench_solution> candidates;  // sorted by file
};

struct bench_dataset {
  std::filesystem::path root;
  std::vector<bench_definition> definitions;  // sorted by name
};

/// The kernel.cu and launch.json of a ksearch CUDA solution file. Errors: the file does not parse
/// as a Solution, or lacks one of the two sources (subject: the file's "sources").
[[nodiscard]] result<bench_solution> load_bench_solution(const std::filesystem::path& file);

/// Loads every definition under `root` with its workloads, reference and candidates. Errors, each
/// naming the file or definition: `root` is not a dataset, a definition, workload or solution that
/// does not parse, a definition without workloads, without a reference or with several, or without
/// a candidate.
[[nodiscard]] result<bench_dataset> load_bench_dataset(const std::filesystem::path& root);

}  // namespace ksearch::bench
