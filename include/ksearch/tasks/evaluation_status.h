// ksearch/tasks/evaluation_status.h — every status an evaluated round can end with.
//
// The first seven are FlashInfer Trace's evaluation statuses (docs/task-formats.md, "FlashInfer
// Trace: trace and statuses"), the ones the evaluator gives a candidate. The others belong to the
// search: a round can end before or instead of an evaluation (compile-only mode, no usable reply,
// a dead endpoint, a harness that could not run). Records, traces and reports write the UPPER_CASE
// names; src/tasks/evaluation_status.cc is the only place those names are spelled.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <iosfwd>
#include <string_view>

#include "ksearch/common/error.h"

namespace ksearch::tasks {

enum class evaluation_status {
  passed,
  compile_error,        // NVRTC failed, an include was refused, or the launch plan is invalid
  runtime_error,        // a CUDA error during a call, the worker crashed, or inputs were modified
  timeout,              // the worker's watchdog fired
  incorrect_shape,
  incorrect_numerical,  // wrong values, NaN/Inf, or a time faster than physics allows
  incorrect_dtype,
  compiled,             // compile-only mode: compiled and the plan is valid, nothing ran
  no_candidate,         // the replies could not be turned into a candidate
  llm_error,            // the endpoint failed after every retry
  harness_error,        // the evaluator itself could not run (no GPU, a broken reference)
};

/// "PASSED", "COMPILE_ERROR", ..., "HARNESS_ERROR".
[[nodiscard]] std::string_view to_string(evaluation_status status);
/// The status named `text` (exactly as to_string writes it); error subject "status".
[[nodiscard]] result<evaluation_status> evaluation_status_from_string(std::string_view text);

/// Writes to_string(status): logs and test messages show the name.
std::ostream& operator<<(std::ostream& out, evaluation_status status);

}  // namespace ksearch::tasks
