#include "ksearch/tasks/value_distribution.h"

#include <array>
#include <cstdio>
#include <string_view>

#include "ksearch/common/json.h"

namespace ksearch::tasks {

namespace {

using kind = value_distribution::kind;

// Each named distribution with its two parameters' names and defaults.
struct distribution_form {
  kind type;
  std::string_view name;
  std::string_view first;
  double first_default;
  std::string_view second;
  double second_default;
};

constexpr std::array<distribution_form, 4> forms{{
    {kind::normal, "normal", "mean", 0.0, "std", 1.0},
    {kind::cauchy, "cauchy", "loc", 0.0, "scale", 1.0},
    {kind::uniform, "uniform", "low", 0.0, "high", 1.0},
    {kind::randint, "randint", "low", 0.0, "high", 2.0},
}};

const distribution_form* form_of(kind type) {
  for (const distribution_form& f : forms) {
    if (f.type == type) return &f;
  }
  return nullptr;
}

result<double> number_field(const ordered_json& spec, std::string_view field, double fallback, const std::string& at) {
  const auto it = spec.find(field);
  if (it == spec.end()) return fallback;
  if (!it->is_number()) return fail(at + "." + std::string(field), "must be a number, got " + it->dump());
  return it->get<double>();
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

std::string value_distribution::describe() const {
  if (type == kind::standard) return "standard";
  if (type == kind::constant) return "constant(" + number_text(a) + ")";
  const distribution_form* f = form_of(type);
  return std::string(f->name) + "(" + std::string(f->first) + "=" + number_text(a) + ", " + std::string(f->second) + "=" +
         number_text(b) + ")";
}

result<value_distribution> parse_value_distribution(const ordered_json& spec, const std::string& at) {
  value_distribution d;
  if (spec.value("type", "") == "constant") {
    const auto value = spec.find("value");
    if (value == spec.end() || !value->is_number()) return fail(at + ".value", "a constant input needs a numeric value");
    d.type = kind::constant;
    d.a = value->get<double>();
    return d;
  }
  const auto name = spec.find("distribution");
  if (name == spec.end()) return d;
  if (!name->is_string()) return fail(at + ".distribution", "must be a string");
  const std::string wanted = name->get<std::string>();
  for (const distribution_form& f : forms) {
    if (wanted != f.name) continue;
    d.type = f.type;
    auto first = number_field(spec, f.first, f.first_default, at);
    if (!first) return std::unexpected(first.error());
    auto second = number_field(spec, f.second, f.second_default, at);
    if (!second) return std::unexpected(second.error());
    d.a = *first;
    d.b = *second;
    if ((f.type == kind::uniform || f.type == kind::randint) && !(d.a < d.b)) {
      return fail(at, "low must be below high, got [" + number_text(d.a) + ", " + number_text(d.b) + ")");
    }
    if ((f.type == kind::normal || f.type == kind::cauchy) && !(d.b > 0)) {
      return fail(at + "." + std::string(f.second), "must be positive, got " + number_text(d.b));
    }
    return d;
  }
  return fail(at + ".distribution", "unknown distribution '" + wanted + "'",
              "use normal, cauchy, uniform or randint (or {\"type\": \"constant\", \"value\": v})");
}

ordered_json to_json(const value_distribution& d) {
  if (d.type == kind::constant) return {{"type", "constant"}, {"value", d.a}};
  ordered_json out = {{"type", "random"}};
  if (const distribution_form* f = form_of(d.type)) {
    out["distribution"] = f->name;
    out[std::string(f->first)] = d.a;
    out[std::string(f->second)] = d.b;
  }
  return out;
}

}  // namespace ksearch::tasks
