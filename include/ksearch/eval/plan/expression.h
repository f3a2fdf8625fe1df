// ksearch/eval/plan/expression.h — the small expression language of launch plans.
//
// A launch plan computes grid sizes, shared memory, workspace sizes and kernel scalars from a
// workload's axes, scalar inputs and device facts with expressions such as
// `clamp(ceil_div(2 * num_sms, batch_size), 1, 16)`. The text comes from an LLM, so the language
// is small, deterministic and safe: int64 and double values only, no loops, no side effects,
// every overflow, division by zero and type mix-up an error that names the column, and hard
// limits on length and nesting so hostile text cannot exhaust the stack.
//
// Values and operators (the full reference is docs/candidate-contract.md):
//   literals      42, 0x40, 1.5, 1e-3, .5, true (1), false (0)
//   names         [A-Za-z_][A-Za-z0-9_]*, looked up in a symbol_table at evaluation time
//   unary         -x  !x  +x
//   binary        * / %   + -   < <= > >=   == !=   &&   ||   (C precedence, left-associative)
//   ternary       c ? a : b                                   (right-associative)
//   functions     min(a, b, ...) max(a, b, ...) clamp(x, lo, hi) abs(x) ceil_div(a, b)
//                 round_up(a, b) log2_ceil(x) next_pow2(x) floor(x) ceil(x) round(x)
//                 float(x) sqrt(x)
// int op int stays int (`/` truncates toward zero, `%` takes the dividend's sign, as in C); a
// float operand makes the result a double; `%` and the integer functions refuse floats.
// Comparisons, `!`, `&&` and `||` give int 0 or 1; `&&`, `||` and `?:` evaluate only what they
// need, so `b != 0 && a / b > 2` is safe.
//
// Thread-safety: an expression is immutable after parse and may be evaluated from several
// threads at once; copies share the parsed tree. A symbol_table is a plain value (no locking).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::eval {

/// Longest expression text accepted [characters].
inline constexpr std::size_t max_expression_length = 1024;
/// Deepest nesting accepted: parentheses, calls, unary operators and operator chains all count.
inline constexpr int max_expression_depth = 64;

/// An int64 or a double. Plain data; `is_float` says which member holds the value (the other is
/// zero, so the defaulted == compares values and kinds).
struct plan_value {
  bool is_float = false;
  std::int64_t i = 0;
  double f = 0.0;

  [[nodiscard]] static constexpr plan_value of_int(std::int64_t v) { return {false, v, 0.0}; }
  [[nodiscard]] static constexpr plan_value of_float(double v) { return {true, 0, v}; }

  /// The value as a double (ints converted).
  [[nodiscard]] double as_double() const { return is_float ? f : static_cast<double>(i); }
  /// Non-zero; what `when`, `!`, `&&`, `||` and `?:` test.
  [[nodiscard]] bool truthy() const { return is_float ? f != 0.0 : i != 0; }
  /// "42", "-7", "0.5", "2.0" (a float always shows a '.' or an exponent), shortest round-trip.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const plan_value&, const plan_value&) = default;
};

/// Named values an expression can read. Insertion-ordered (names() lists them in that order, so
/// error messages list axes before lets); setting an existing name replaces its value in place.
class symbol_table {
 public:
  void set(std::string name, plan_value value);
  void set_int(std::string name, std::int64_t value) { set(std::move(name), plan_value::of_int(value)); }
  void set_float(std::string name, double value) { set(std::move(name), plan_value::of_float(value)); }

  [[nodiscard]] std::optional<plan_value> lookup(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return lookup(name).has_value(); }
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  // Linear search: plans see a few dozen names, and insertion order is needed anyway.
  std::vector<std::pair<std::string, plan_value>> entries_;
};

namespace detail {
struct expression_tree;  // the parsed form; see src/eval/plan/expression.cc
}

/// A parsed expression: parse once, evaluate per workload. Copies are cheap (shared tree).
class expression {
 public:
  /// Parses `text`. Errors (subject "expression") give the column and an excerpt with a caret:
  ///   "expected ')' at column 14:\n  ceil_div(a, b\n               ^"
  /// Unknown functions and wrong argument counts are parse errors; unknown names are not (they
  /// are looked up when evaluating; referenced_names() lets a caller check them up front).
  [[nodiscard]] static result<expression> parse(std::string_view text);
  /// An expression that is just `value` (for JSON numbers); its text is value.to_string().
  [[nodiscard]] static expression constant(plan_value value);

  /// Evaluates against `symbols`. Errors (subject "expression"): unknown name (listing the known
  /// ones), division or modulo by zero, int64 overflow, a float where an int is needed, a result
  /// that is not finite, a function argument out of its domain; each with column and excerpt.
  [[nodiscard]] result<plan_value> evaluate(const symbol_table& symbols) const;

  /// The source text, as given to parse().
  [[nodiscard]] const std::string& text() const;
  /// Every name the expression reads, once each, in order of first appearance.
  [[nodiscard]] std::vector<std::string> referenced_names() const;

 private:
  explicit expression(std::shared_ptr<const detail::expression_tree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const detail::expression_tree> tree_;  // never null
};

/// True for the names of the built-in functions (min, max, clamp, ...).
[[nodiscard]] bool is_expression_function(std::string_view name);
/// True for the words the language reserves: the function names, `true` and `false`.
[[nodiscard]] bool is_reserved_expression_word(std::string_view name);
/// True for [A-Za-z_][A-Za-z0-9_]*.
[[nodiscard]] bool is_identifier(std::string_view text);

/// "unknown name 'bsz' (known: batch_size, num_pages)" plus, as the fix, the closest known name
/// ("did you mean 'batch_size'?") or how to call a function used as a name. Shared by the
/// evaluator and the launch plan's static check so both say the same thing.
[[nodiscard]] error unknown_name_error(std::string subject, std::string_view name, std::span<const std::string> known);

}  // namespace ksearch::eval
