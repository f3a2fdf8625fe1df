// ksearch/search/judging_text.h — what a prompt says about how a candidate is checked and timed.
//
// A model writes a better kernel when it knows the rules it is judged by: the tolerances (and
// whether every element must match), how many input sets, what the harness does to outputs,
// workspaces and shared memory before a call, which clock times it, and the feedback workloads'
// sizes (its score is their mean). judging_text renders that from the evaluation settings the
// task really uses, so the prompt cannot promise what the check rejects.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "ksearch/eval/eval_request.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::search {

/// "## How this candidate is judged" and its lines, for `def` evaluated with `config` on
/// `workloads` (the feedback workloads, whose var axes and scalar inputs are listed).
[[nodiscard]] std::string judging_text(const tasks::definition& def, const eval::eval_config& config,
                                       const std::vector<tasks::workload>& workloads);

}  // namespace ksearch::search
