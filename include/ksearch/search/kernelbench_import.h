// ksearch/search/kernelbench_import.h — a KernelBench problem as a dataset ksearch can evaluate.
//
// ksearch evaluates definitions and workloads (FlashInfer Trace layout); a KernelBench problem is
// a Python module. tasks/kernelbench/import_problem.py bridges the two, with PyTorch, once per
// problem: it builds the Model as KernelBench's eval does (seed 42), draws the correctness
// trials' and the timed inputs, and writes a dataset folder — the definition (forward's arguments,
// then the module's parameters and buffers; the problem's source as its Python reference),
// workloads trial-K-seed-S and perf-seed-42 with their inputs as safetensors blobs, notes for the
// prompt, and kernelbench.json with the eager and torch.compile baselines it timed.
//
// The folder is a cache under cache_dir, named by the problem and a hash of what decides its
// contents (the problem's source, the importer and the oracle's timing code, the trials,
// precision and perf trials, the GPU's name): a second search or evaluation of the problem reuses
// it, and a changed problem file gets a fresh import. The importer writes to a temporary folder
// and renames it, so a killed import leaves no half dataset behind.
//
// Thread-safety: one import per cache folder at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"
#include "ksearch/tasks/kernelbench_problems.h"

namespace ksearch::search {

struct kernelbench_import_options {
  std::filesystem::path cache_dir;   // "" = default_kernelbench_cache()
  std::string python;                // "" = eval::oracle_python() ($KSEARCH_PYTHON, else python3)
  std::filesystem::path script;      // "" = the bundled tasks/kernelbench/import_problem.py
  int correctness_trials = 5;        // input sets checked (trial workloads)
  std::string precision = "fp32";    // fp32 | fp16 | bf16
  int perf_trials = 100;             // timed calls per baseline (and per evaluation)
  int device = 0;                    // CUDA ordinal the importer runs on; -1: the CPU (no baselines)
  std::string gpu_name;              // part of the cache key (baselines are per GPU); "" when unknown
  std::chrono::seconds timeout{1800};  // torch.compile of a large model can take minutes
};

struct kernelbench_dataset {
  std::filesystem::path root;          // the dataset folder
  std::string definition;              // "kernelbench_l<L>_p<id>_<Name>"
  json manifest;             // kernelbench.json
  std::optional<double> eager_ms;      // mean of the eager baseline at import, when timed
  std::optional<double> compile_ms;    // mean of the torch.compile baseline, when it compiled
  std::string compile_error;           // why torch.compile gave no baseline ("" when it did, or untimed)
  bool reused = false;                 // found in the cache
};

/// $KSEARCH_CACHE_DIR/kernelbench, else $XDG_CACHE_HOME/ksearch/kernelbench, else
/// ~/.cache/ksearch/kernelbench.
[[nodiscard]] std::filesystem::path default_kernelbench_cache();

/// The problem's dataset: from the cache, else imported now. Errors: no python/torch (with what
/// to install), the importer's own message (naming the problem file) with its exit status, a
/// timeout, or a folder without a readable kernelbench.json.
[[nodiscard]] result<kernelbench_dataset> import_kernelbench_problem(const tasks::kernelbench_problem& problem,
                                                                     const kernelbench_import_options& options);

/// Reads a dataset folder written by the importer (its kernelbench.json).
[[nodiscard]] result<kernelbench_dataset> read_kernelbench_dataset(const std::filesystem::path& root);

}  // namespace ksearch::search
