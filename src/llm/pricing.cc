#include "ksearch/llm/pricing.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"

namespace ksearch::llm {

namespace {

struct builtin_price {
  const char* model;
  double input;
  double output;
  double cached_input;  // < 0: no cached price
};

// USD per million tokens, standard tier, list prices published in 2025 (prompts <= 200k tokens
// where the provider tiers by prompt length). Check the provider's page before trusting a
// budget to these; --pricing-file overrides any entry.
constexpr std::array<builtin_price, 24> builtin_prices{{
    {"gpt-5", 1.25, 10.00, 0.125},
    {"gpt-5-mini", 0.25, 2.00, 0.025},
    {"gpt-5-nano", 0.05, 0.40, 0.005},
    {"gpt-5-codex", 1.25, 10.00, 0.125},
    {"gpt-5.1", 1.25, 10.00, 0.125},
    {"gpt-4.1", 2.00, 8.00, 0.50},
    {"gpt-4.1-mini", 0.40, 1.60, 0.10},
    {"gpt-4.1-nano", 0.10, 0.40, 0.025},
    {"gpt-4o", 2.50, 10.00, 1.25},
    {"gpt-4o-mini", 0.15, 0.60, 0.075},
    {"o1", 15.00, 60.00, 7.50},
    {"o3", 2.00, 8.00, 0.50},
    {"o3-mini", 1.10, 4.40, 0.55},
    {"o4-mini", 1.10, 4.40, 0.275},
    {"gemini-2.5-pro", 1.25, 10.00, -1},
    {"gemini-2.5-flash", 0.30, 2.50, -1},
    {"gemini-2.5-flash-lite", 0.10, 0.40, -1},
    {"gemini-3-pro-preview", 2.00, 12.00, -1},
    {"claude-sonnet-4", 3.00, 15.00, 0.30},
    {"claude-sonnet-4-5", 3.00, 15.00, 0.30},
    {"claude-opus-4", 15.00, 75.00, 1.50},
    {"claude-opus-4-1", 15.00, 75.00, 1.50},
    {"claude-haiku-4-5", 1.00, 5.00, 0.10},
    {"claude-3-5-haiku", 0.80, 4.00, 0.08},
}};

[[nodiscard]] bool all_digits(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

/// `id` without a dated snapshot suffix: "-2024-08-06" or "-20250514"; unchanged otherwise.
[[nodiscard]] std::string_view without_date(std::string_view id) {
  // "-YYYY-MM-DD"
  if (id.size() > 11 && id[id.size() - 11] == '-' && id[id.size() - 6] == '-' && id[id.size() - 3] == '-' &&
      all_digits(id.substr(id.size() - 10, 4)) && all_digits(id.substr(id.size() - 5, 2)) &&
      all_digits(id.substr(id.size() - 2, 2))) {
    return id.substr(0, id.size() - 11);
  }
  // "-YYYYMMDD"
  if (id.size() > 9 && id[id.size() - 9] == '-' && all_digits(id.substr(id.size() - 8))) {
    return id.substr(0, id.size() - 9);
  }
  return id;
}

/// A non-negative number at `path`, or an error naming it.
[[nodiscard]] result<double> price_field(const json& entry, const char* field, const std::string& path,
                                         const std::string& origin, bool required) {
  auto it = entry.find(field);
  if (it == entry.end()) {
    if (required) return fail(origin, path + "." + field + " missing", "give the price in USD per million tokens");
    return -1.0;
  }
  if (!it->is_number() || it->get<double>() < 0) {
    return fail(origin, path + "." + field + " must be a non-negative number (USD per million tokens), got " + it->dump());
  }
  return it->get<double>();
}

}  // namespace

pricing_table pricing_table::builtin() {
  pricing_table table;
  for (const builtin_price& p : builtin_prices) {
    model_price price{p.input, p.output, std::nullopt};
    if (p.cached_input >= 0) price.cached_input_usd_per_mtok = p.cached_input;
    table.set(p.model, price);
  }
  return table;
}

result<void> pricing_table::merge_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string(), "cannot open the pricing file", "check --pricing-file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(file.string(), "cannot read the pricing file");
  return merge_json(text.str(), file.string());
}

result<void> pricing_table::merge_json(std::string_view text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return fail(origin, std::string("not valid JSON: ") + e.what());
  }
  const char* shape = R"(expected {"models": {"<model>": {"input": USD, "output": USD, "cached_input": USD}}})";
  if (!doc.is_object()) return fail(origin, std::string("the document is not an object; ") + shape);
  for (const auto& [key, value] : doc.items()) {
    if (key != "models" && key != "comment") return fail(origin, "unknown field '" + key + "'; " + shape);
  }
  auto models = doc.find("models");
  if (models == doc.end() || !models->is_object()) return fail(origin, std::string("models missing or not an object; ") + shape);

  // Check everything before changing anything, so that a bad file leaves the table as it was.
  std::map<std::string, model_price, std::less<>> parsed;
  for (const auto& [model, entry] : models->items()) {
    const std::string path = "models[\"" + model + "\"]";
    if (!entry.is_object()) return fail(origin, path + " must be an object; " + shape);
    for (const auto& [field, value] : entry.items()) {
      if (field != "input" && field != "output" && field != "cached_input") {
        return fail(origin, path + ": unknown field '" + field + "' (input, output, cached_input)");
      }
    }
    auto input = price_field(entry, "input", path, origin, true);
    if (!input) return std::unexpected(input.error());
    auto output = price_field(entry, "output", path, origin, true);
    if (!output) return std::unexpected(output.error());
    auto cached = price_field(entry, "cached_input", path, origin, false);
    if (!cached) return std::unexpected(cached.error());
    model_price price{*input, *output, std::nullopt};
    if (*cached >= 0) price.cached_input_usd_per_mtok = *cached;
    parsed[model] = price;
  }
  for (auto& [model, price] : parsed) prices_[model] = price;
  return {};
}

std::optional<model_price> pricing_table::find(std::string_view model) const {
  if (auto it = prices_.find(model); it != prices_.end()) return it->second;
  std::string id = to_lower(model);
  if (auto slash = id.rfind('/'); slash != std::string::npos) id.erase(0, slash + 1);
  for (std::string_view candidate : {std::string_view(id), without_date(id)}) {
    if (auto it = prices_.find(candidate); it != prices_.end()) return it->second;
  }
  return std::nullopt;
}

std::optional<double> pricing_table::cost_usd(std::string_view model, const token_usage& usage) const {
  const auto price = find(model);
  if (!price || !usage.reported()) return std::nullopt;
  const double prompt = static_cast<double>(*usage.prompt_tokens);
  const double completion = static_cast<double>(*usage.completion_tokens);
  double input_cost = prompt * price->input_usd_per_mtok;
  if (price->cached_input_usd_per_mtok && usage.cached_prompt_tokens) {
    const double cached = std::min(prompt, static_cast<double>(*usage.cached_prompt_tokens));
    input_cost = (prompt - cached) * price->input_usd_per_mtok + cached * *price->cached_input_usd_per_mtok;
  }
  return (input_cost + completion * price->output_usd_per_mtok) / 1e6;
}

}  // namespace ksearch::llm
