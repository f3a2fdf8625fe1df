// ksearch/report/markdown_report.h — a run as Markdown, for a terminal or a README.
//
// The same facts as the HTML page, without the pictures: what ran (task, model, GPU, search mode,
// rounds, how it stopped), the best candidate, a table with one row per round, the status counts,
// the best solution's per-workload table, tokens and cost (rounds and every LLM call by purpose),
// the world model's nodes by state with the chosen path, and the loader's warnings. GitHub-flavoured
// tables; every cell is escaped, so a '|' in feedback cannot break a row. No clock: the same run
// gives the same text.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "ksearch/report/run_data.h"

namespace ksearch::report {

[[nodiscard]] std::string render_markdown_report(const run_data& run);

}  // namespace ksearch::report
