// ksearch/report/palette.h — the colours the report gives evaluation statuses.
//
// One colour per status, used by the charts' markers, the status table and the round table, so a
// red marker in the plot is the same red as its row. Colours are CSS hex strings.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "ksearch/tasks/evaluation_status.h"

namespace ksearch::report {

/// PASSED green, COMPILE_ERROR amber, INCORRECT_* red, RUNTIME_ERROR dark red, TIMEOUT purple,
/// LLM_ERROR slate blue, NO_CANDIDATE grey, HARNESS_ERROR brown, COMPILED teal.
[[nodiscard]] std::string_view status_color(tasks::evaluation_status status);

}  // namespace ksearch::report
