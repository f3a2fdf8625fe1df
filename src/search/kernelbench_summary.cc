#include "ksearch/search/kernelbench_summary.h"

#include <cstdio>

#include "ksearch/common/json.h"
#include "ksearch/search/task_evaluation.h"

namespace ksearch::search {

namespace {

std::optional<double> speedup(const kernelbench_row& row, bool vs_compile) {
  if (!row.verdict || !row.verdict->correct) return std::nullopt;
  return vs_compile ? row.verdict->speedup_vs_compile : row.verdict->speedup_vs_eager;
}

std::string threshold_key(double p) {
  char key[16];
  std::snprintf(key, sizeof key, "%g", p);
  return key;
}

json geomean_over_correct(const std::vector<kernelbench_row>& rows, bool vs_compile) {
  std::vector<double> values;
  for (const kernelbench_row& row : rows) {
    if (auto s = speedup(row, vs_compile)) values.push_back(*s);
  }
  auto mean = geometric_mean(values);
  return mean ? json(*mean) : json(nullptr);
}

}  // namespace

double fast_p(const std::vector<kernelbench_row>& rows, double p, bool vs_compile) {
  if (rows.empty()) return 0;
  std::size_t fast = 0;
  for (const kernelbench_row& row : rows) {
    const auto s = speedup(row, vs_compile);
    if (s && *s > p) ++fast;
  }
  return static_cast<double>(fast) / static_cast<double>(rows.size());
}

json kernelbench_summary(int level, const std::vector<kernelbench_row>& rows, const json& settings) {
  std::size_t evaluated = 0, correct = 0, suspicious = 0;
  json table = json::array();
  for (const kernelbench_row& row : rows) {
    json entry = {{"problem_id", row.problem_id}, {"problem", row.problem}, {"definition", row.definition},
                  {"solution", row.solution.empty() ? json(nullptr) : json(row.solution)},
                  {"error", row.error.empty() ? json(nullptr) : json(row.error)}};
    if (row.verdict) {
      ++evaluated;
      correct += row.verdict->correct ? 1 : 0;
      suspicious += row.verdict->suspicious ? 1 : 0;
      entry.update(row.verdict->to_json());
    } else {
      entry["status"] = row.solution.empty() ? "NO_SOLUTION" : "NOT_EVALUATED";
      entry["correct"] = false;
    }
    table.push_back(std::move(entry));
  }
  json eager = json::object(), compile = json::object();
  for (double p : kernelbench_fast_p_thresholds) {
    eager[threshold_key(p)] = fast_p(rows, p, false);
    compile[threshold_key(p)] = fast_p(rows, p, true);
  }
  return {{"level", level},
          {"problems", rows.size()},
          {"evaluated", evaluated},
          {"correct", correct},
          {"suspicious", suspicious},
          {"fast_p", eager},
          {"fast_p_vs_compile", compile},
          {"geomean_speedup_vs_eager", geomean_over_correct(rows, false)},
          {"geomean_speedup_vs_compile", geomean_over_correct(rows, true)},
          {"settings", settings},
          {"rows", table}};
}

}  // namespace ksearch::search
