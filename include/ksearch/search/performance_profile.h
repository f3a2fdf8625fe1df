// ksearch/search/performance_profile.h — what a passed candidate's evaluation says about why it is
// as fast as it is, as a few lines for the next prompt.
//
// Built from what the evaluator already returns, no extra GPU work: per timed workload, the
// latency against the roofline's memory bound (the bytes a call must move at least, every input
// read once and every output written once, over the device's DRAM peak from its memory clock and
// bus width), and per kernel the ptxas report (registers, shared memory, stack, spills). A model
// then sees whether a kernel is far from the memory bound or held back by spills or occupancy.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "ksearch/search/evaluation_outcome.h"

namespace ksearch::search {

/// At most 8 workload lines and 8 kernel lines, each starting with `prefix`:
///   "<prefix> workload 55b51e96: 0.0123 ms; moves >= 12.6 MB: 1.02 TB/s = 31% of the 3.35 TB/s DRAM peak"
///   "<prefix> kernel k: 72 registers, 1024 B smem, 0 B stack, no spills"
/// Empty when there is nothing measured.
[[nodiscard]] std::string profile_lines(const evaluation_outcome& outcome, const std::string& prefix);

}  // namespace ksearch::search
