#include "ksearch/common/json_fields.h"

#include <limits>

#include "ksearch/common/json.h"

namespace ksearch {

json optional_number(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

std::optional<double> number_at(const json& doc, const char* key) {
  if (!doc.is_object()) return std::nullopt;
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

json optional_count(const std::optional<long>& value) { return value ? json(*value) : json(nullptr); }

std::optional<long> count_at(const json& doc, const char* key) {
  if (!doc.is_object()) return std::nullopt;
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_integer()) return std::nullopt;
  const auto value = it->get<long long>();
  if (value < 0 || value > std::numeric_limits<long>::max()) return std::nullopt;
  return static_cast<long>(value);
}

std::string string_at(const json& doc, const char* key) {
  if (!doc.is_object()) return {};
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int int_at(const json& doc, const char* key, int missing) {
  if (!doc.is_object()) return missing;
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_integer()) return missing;
  const auto value = it->get<long long>();
  return value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max() ? static_cast<int>(value)
                                                                                              : missing;
}

}  // namespace ksearch
