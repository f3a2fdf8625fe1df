// ksearch/cli/eval_kernelbench.h — `ksearch eval --task kernelbench`: one problem, or a batch.
//
// One problem (--kernelbench-problem-id and a solution .json): imports the problem (or takes it
// from the cache), runs the correctness trials and the timed calls in an isolated worker, prints a
// table per phase and the verdict: correct over N trials, kernel time, speedup over PyTorch eager
// and over torch.compile, the >10x flag. Exit 0 when correct and timed, 1 otherwise.
//
// A batch (a folder of solutions; every problem of --kernelbench-level, or --kernelbench-problem-ids):
// for each problem the solution whose definition is the problem's — <folder>/<definition>.json, a
// run folder <folder>/<definition>/best_solution.json (so a ksearch --artifacts-dir works), or
// any <folder>/*.json whose "definition" names it — is evaluated the same way in one pool of
// workers, one table line per problem, and the summary (search/kernelbench_summary.h: fast_p for
// p in 0, 1, 1.5, 2, per-problem rows) is written to --summary (and to stdout with --json). A
// problem without a solution, or one the harness cannot evaluate, is a row that counts as not
// correct; the batch goes on. Exit 0 once the summary is written.
#pragma once

#include <string>
#include <vector>

#include "ksearch/cli/run_options.h"
#include "ksearch/eval/isolation/evaluation_pool.h"

namespace ksearch::cli {

struct kernelbench_eval_options {
  task_selection task;
  std::string solution;              // a .json file (one problem) or a folder (a batch)
  std::vector<int> problem_ids;      // a batch's problems; empty: every problem of the level
  std::string summary_file;          // a batch's summary; "" = kernelbench_level<L>_summary.json
  int trials = 5;                    // correctness trials (input sets)
  int device = 0;                    // where the import runs and times its baselines
  eval::evaluation_pool_options workers;
};

[[nodiscard]] int evaluate_kernelbench(const kernelbench_eval_options& options, bool json_out);

}  // namespace ksearch::cli
