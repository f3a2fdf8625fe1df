// ksearch/common/text_lines.h — splitting text into lines, for parsers and prompt cutters.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

namespace ksearch {

/// The lines of `text` without their '\n' (a last line without one included; "" gives none).
/// The views point into `text`.
[[nodiscard]] std::vector<std::string_view> split_lines(std::string_view text);

}  // namespace ksearch
