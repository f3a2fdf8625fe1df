// ksearch/common/json_fields.h — lenient reads of a JSON object's fields, for records read back.
//
// A record written by an older or newer ksearch may lack a field or hold another type there; these
// read such a field as absent instead of throwing, and leave the decision (a default, an error
// naming the field) to the caller.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "ksearch/common/json_fwd.h"

namespace ksearch {

/// The number, or null when there is none.
[[nodiscard]] json optional_number(const std::optional<double>& value);
/// `doc[key]` when it is a number; nullopt when `doc` is no object or the field is absent or not a number.
[[nodiscard]] std::optional<double> number_at(const json& doc, const char* key);
/// `doc[key]` when it is a string, else "".
[[nodiscard]] std::string string_at(const json& doc, const char* key);
/// The count, or null when it is unknown.
[[nodiscard]] json optional_count(const std::optional<long>& value);
/// `doc[key]` when it is a non-negative integer; nullopt otherwise (absent, null, another type).
[[nodiscard]] std::optional<long> count_at(const json& doc, const char* key);
/// `doc[key]` when it is an integer that fits an int, else `missing`.
[[nodiscard]] int int_at(const json& doc, const char* key, int missing);

}  // namespace ksearch
