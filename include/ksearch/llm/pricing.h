// ksearch/llm/pricing.h — what a call cost: model prices [USD per million tokens] and the sum.
//
// The built-in table holds list prices of common hosted models (standard tier, prompts under
// 200k tokens, as the providers published them in 2025). Providers change prices and offer
// discounts, so a user's JSON file (--pricing-file) adds or replaces entries:
//
//   {"models": {"gpt-5": {"input": 1.25, "output": 10.0, "cached_input": 0.125},
//               "my-local-model": {"input": 0, "output": 0}}}
//
// Lookup tries the exact id, then the id lower-cased without a provider prefix ("openai/gpt-5",
// "models/gemini-2.5-pro") and without a dated snapshot suffix ("gpt-4o-2024-08-06",
// "claude-sonnet-4-20250514"). A model with no entry has an unknown cost (nullopt), never 0.
//
// Thread-safety: a pricing_table is a value; const use from several threads is safe.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ksearch/common/error.h"
#include "ksearch/llm/usage.h"

namespace ksearch::llm {

struct model_price {
  double input_usd_per_mtok = 0;                    // [USD per 1e6 prompt tokens]
  double output_usd_per_mtok = 0;                   // [USD per 1e6 completion tokens, reasoning included]
  std::optional<double> cached_input_usd_per_mtok;  // cached prompt tokens; unset = full input price

  friend bool operator==(const model_price&, const model_price&) = default;
};

class pricing_table {
 public:
  /// An empty table: every model's cost is unknown.
  pricing_table() = default;

  /// The built-in defaults.
  [[nodiscard]] static pricing_table builtin();

  /// Adds or replaces the entries of a pricing JSON file (format above). Errors name the file
  /// and the JSON path of the offending value; nothing is changed on error.
  [[nodiscard]] result<void> merge_file(const std::filesystem::path& file);
  /// As merge_file, from JSON text; `origin` names the text in errors.
  [[nodiscard]] result<void> merge_json(std::string_view text, const std::string& origin);

  void set(const std::string& model, const model_price& price) { prices_[model] = price; }

  /// The price of `model` after the normalisation described above, or nullopt.
  [[nodiscard]] std::optional<model_price> find(std::string_view model) const;

  /// The cost of one call [USD], or nullopt when the model has no price or the usage lacks the
  /// prompt or completion count.
  [[nodiscard]] std::optional<double> cost_usd(std::string_view model, const token_usage& usage) const;

  [[nodiscard]] const std::map<std::string, model_price, std::less<>>& entries() const { return prices_; }

 private:
  std::map<std::string, model_price, std::less<>> prices_;
};

}  // namespace ksearch::llm
