// ksearch/cli/eval_table.h — the per-workload table `ksearch eval` prints for one evaluation.
//
// One line per workload on stderr: status, candidate and reference latency, speedup, the largest
// absolute and relative errors, timing noise and sample count ("-" for a workload checked but not
// timed), then the wall time split (compile+load, correctness, timing) and the overall verdict.
#pragma once

#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/evaluator.h"

namespace ksearch::cli {

void print_eval_table(const eval::eval_result& r, const eval::eval_request& request);

}  // namespace ksearch::cli
