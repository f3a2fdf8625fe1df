// ksearch/report/html_report.h — a run as one self-contained HTML page.
//
// The page needs nothing else: CSS and SVG are inline, there is no script, no font, no image and no
// link to fetch, so it can be mailed, attached to an issue or opened offline. Sections, each a
// <section> with a stable id: summary (task, model, GPU, search mode, rounds, how the run stopped,
// warnings), progress (score and latency per round, failures marked by status, best-so-far line),
// status-counts, llm-usage (tokens and cost over the rounds, every LLM call by purpose),
// world-model (the tree), best-kernel (kernel.cu and launch.json), workloads (the best solution's
// evaluation per workload) and rounds (every round in a table). All text from the run is escaped.
// The output depends only on the run (no clock), so the same folder renders the same bytes.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "ksearch/report/run_data.h"

namespace ksearch::report {

[[nodiscard]] std::string render_html_report(const run_data& run);

}  // namespace ksearch::report
