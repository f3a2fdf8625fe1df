// ksearch/search/kernelbench_summary.h — KernelBench's fast_p over a batch of problems.
//
// A batch evaluates one solution per problem of a level (or of a list of ids). Its summary is
// what the KernelBench paper and its peers report (docs/task-formats.md, "KernelBench: fast_p"):
// fast_p = the share of ALL the problems asked for whose kernel is correct and more than p times
// faster than the baseline, for p in {0, 1, 1.5, 2}, against PyTorch eager and against
// torch.compile; fast_0 is the correctness rate. A problem without a solution, or one the harness
// could not evaluate, counts as not correct. Also the geometric mean of the speedups of the
// correct problems, and one row per problem.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/json_fwd.h"
#include "ksearch/search/kernelbench_task.h"

namespace ksearch::search {

struct kernelbench_row {
  int problem_id = 0;
  std::string problem;                        // the file's name part
  std::string definition;
  std::string solution;                       // the file evaluated; "" when there was none
  std::optional<kernelbench_verdict> verdict;  // set when it was evaluated
  std::string error;                          // no solution, or why the harness could not evaluate
};

/// The thresholds reported.
inline constexpr double kernelbench_fast_p_thresholds[] = {0.0, 1.0, 1.5, 2.0};

/// Share of `rows` correct with a speedup over eager (or torch.compile) above `p`; 0 when empty.
[[nodiscard]] double fast_p(const std::vector<kernelbench_row>& rows, double p, bool vs_compile);

/// {level, problems, evaluated, correct, suspicious, fast_p{"0","1","1.5","2"}, fast_p_vs_compile{...},
///  geomean_speedup_vs_eager, geomean_speedup_vs_compile (over the correct ones; null when none),
///  settings, rows[...]}.
[[nodiscard]] json kernelbench_summary(int level, const std::vector<kernelbench_row>& rows,
                                                 const json& settings);

}  // namespace ksearch::search
