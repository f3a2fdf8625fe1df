#include "ksearch/eval/plan/expression.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace ksearch::eval {
namespace {

// Parses and evaluates `text`, failing the test (with the error) when either step fails.
plan_value eval(std::string_view text, const symbol_table& symbols = {}) {
  auto parsed = expression::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().to_string());
  if (!parsed) return plan_value::of_int(-424242);
  auto value = parsed->evaluate(symbols);
  EXPECT_TRUE(value.has_value()) << text << ": " << (value ? "" : value.error().to_string());
  return value ? *value : plan_value::of_int(-424242);
}

std::int64_t eval_int(std::string_view text, const symbol_table& symbols = {}) {
  const plan_value value = eval(text, symbols);
  EXPECT_FALSE(value.is_float) << text << " gave a float: " << value.to_string();
  return value.i;
}

double eval_float(std::string_view text, const symbol_table& symbols = {}) {
  const plan_value value = eval(text, symbols);
  EXPECT_TRUE(value.is_float) << text << " gave an int: " << value.to_string();
  return value.f;
}

// The error of a text that must not parse.
error parse_error(std::string_view text) {
  auto parsed = expression::parse(text);
  EXPECT_FALSE(parsed.has_value()) << text << " parsed";
  return parsed ? error{} : parsed.error();
}

// The error of a text that parses but must not evaluate.
error eval_error(std::string_view text, const symbol_table& symbols = {}) {
  auto parsed = expression::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().to_string());
  if (!parsed) return {};
  auto value = parsed->evaluate(symbols);
  EXPECT_FALSE(value.has_value()) << text << " evaluated to " << (value ? value->to_string() : "");
  return value ? error{} : value.error();
}

bool starts_with(const std::string& text, std::string_view prefix) { return text.starts_with(prefix); }

std::string repeat(std::string_view piece, std::size_t count) {
  std::string out;
  for (std::size_t k = 0; k < count; ++k) out += piece;
  return out;
}

symbol_table example_symbols() {
  symbol_table symbols;
  symbols.set_int("batch_size", 16);
  symbols.set_int("num_kv_indices", 16000);
  symbols.set_int("num_sms", 132);
  symbols.set_float("sm_scale", 0.125);
  return symbols;
}

// --- values and the symbol table ------------------------------------------------------------

TEST(ExpressionValue, ToStringMarksFloats) {
  EXPECT_EQ(plan_value::of_int(-7).to_string(), "-7");
  EXPECT_EQ(plan_value::of_float(2.0).to_string(), "2.0");
  EXPECT_EQ(plan_value::of_float(0.5).to_string(), "0.5");
  EXPECT_EQ(plan_value::of_float(0.1).to_string(), "0.1");
  EXPECT_EQ(plan_value::of_float(1e20).to_string(), "1e+20");
  EXPECT_EQ(plan_value::of_float(-3.0).to_string(), "-3.0");
}

TEST(ExpressionValue, TruthinessAndEquality) {
  EXPECT_TRUE(plan_value::of_int(-1).truthy());
  EXPECT_FALSE(plan_value::of_int(0).truthy());
  EXPECT_TRUE(plan_value::of_float(0.25).truthy());
  EXPECT_FALSE(plan_value::of_float(0.0).truthy());
  EXPECT_EQ(plan_value::of_int(3), plan_value::of_int(3));
  EXPECT_NE(plan_value::of_int(3), plan_value::of_float(3.0));
  EXPECT_DOUBLE_EQ(plan_value::of_int(3).as_double(), 3.0);
}

TEST(ExpressionSymbolTable, KeepsInsertionOrderAndReplacesInPlace) {
  symbol_table symbols;
  symbols.set_int("b", 1);
  symbols.set_float("a", 0.5);
  symbols.set_int("c", 3);
  symbols.set_int("a", 7);  // replaces, keeps its position
  EXPECT_EQ(symbols.names(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(symbols.size(), 3u);
  EXPECT_EQ(symbols.lookup("a"), plan_value::of_int(7));
  EXPECT_FALSE(symbols.lookup("d").has_value());
  EXPECT_TRUE(symbols.contains("c"));
  EXPECT_FALSE(symbols.contains("C"));
}

// --- parsing and semantics ------------------------------------------------------------------

TEST(ExpressionEval, Literals) {
  EXPECT_EQ(eval_int("42"), 42);
  EXPECT_EQ(eval_int("0x40"), 64);
  EXPECT_EQ(eval_int("0XfF"), 255);
  EXPECT_EQ(eval_int("true"), 1);
  EXPECT_EQ(eval_int("false"), 0);
  EXPECT_EQ(eval_int("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_DOUBLE_EQ(eval_float("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(eval_float("1e-3"), 0.001);
  EXPECT_DOUBLE_EQ(eval_float("2E2"), 200.0);
  EXPECT_DOUBLE_EQ(eval_float(".5"), 0.5);
  EXPECT_DOUBLE_EQ(eval_float("3."), 3.0);
  EXPECT_DOUBLE_EQ(eval_float("1.25e+1"), 12.5);
  EXPECT_EQ(eval_int("  \t7\n"), 7);
}

TEST(ExpressionEval, PrecedenceFollowsC) {
  EXPECT_EQ(eval_int("1 + 2 * 3"), 7);
  EXPECT_EQ(eval_int("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval_int("10 - 4 % 3"), 9);
  EXPECT_EQ(eval_int("1 + 2 < 4"), 1);    // + before <
  EXPECT_EQ(eval_int("3 < 2 == 0"), 1);   // < before ==
  EXPECT_EQ(eval_int("1 == 1 && 0"), 0);  // == before &&
  EXPECT_EQ(eval_int("1 || 1 && 0"), 1);  // && before ||
  EXPECT_EQ(eval_int("0 || 1 && 0"), 0);
  EXPECT_EQ(eval_int("-2 * 3"), -6);
  EXPECT_EQ(eval_int("- 2 - -3"), 1);
  EXPECT_EQ(eval_int("!0 + 1"), 2);  // unary before binary
  EXPECT_EQ(eval_int("!(0 + 1)"), 0);
  EXPECT_EQ(eval_int("2 + 3 > 4 ? 10 : 20"), 10);  // ?: loosest
  EXPECT_EQ(eval_int("0 || 0 ? 10 : 20"), 20);
  EXPECT_EQ(eval_int("+5"), 5);
}

TEST(ExpressionEval, BinaryOperatorsAreLeftAssociative) {
  EXPECT_EQ(eval_int("10 - 3 - 2"), 5);
  EXPECT_EQ(eval_int("7 / 2 * 2"), 6);
  EXPECT_EQ(eval_int("100 / 10 / 5"), 2);
  EXPECT_EQ(eval_int("17 % 5 % 3"), 2);
  EXPECT_EQ(eval_int("3 > 2 > 0"), 1);  // (3 > 2) > 0
  EXPECT_EQ(eval_int("1 < 2 < 1"), 0);  // (1 < 2) < 1
}

TEST(ExpressionEval, ConditionalIsRightAssociative) {
  EXPECT_EQ(eval_int("0 ? 1 : 0 ? 2 : 3"), 3);
  EXPECT_EQ(eval_int("1 ? 0 ? 4 : 5 : 6"), 5);
  EXPECT_EQ(eval_int("1 ? 1 : 0 ? 2 : 3"), 1);
}

TEST(ExpressionEval, IntegerDivisionTruncatesTowardZeroLikeC) {
  EXPECT_EQ(eval_int("7 / 2"), 3);
  EXPECT_EQ(eval_int("-7 / 2"), -3);
  EXPECT_EQ(eval_int("7 / -2"), -3);
  EXPECT_EQ(eval_int("-7 % 2"), -1);
  EXPECT_EQ(eval_int("7 % -2"), 1);
  symbol_table symbols;
  symbols.set_int("lowest", std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(eval_int("lowest % -1", symbols), 0);
}

TEST(ExpressionEval, FloatOperandPromotesToDouble) {
  EXPECT_DOUBLE_EQ(eval_float("7 / 2.0"), 3.5);
  EXPECT_DOUBLE_EQ(eval_float("1 + 0.5"), 1.5);
  EXPECT_DOUBLE_EQ(eval_float("3 * 1.0"), 3.0);
  EXPECT_DOUBLE_EQ(eval_float("-0.5"), -0.5);
  EXPECT_EQ(eval_int("1.5 < 2"), 1);  // comparisons give ints
  EXPECT_EQ(eval_int("2 == 2.0"), 1);
  EXPECT_EQ(eval_int("!0.0"), 1);
  EXPECT_EQ(eval_int("0.5 && 2"), 1);
  EXPECT_DOUBLE_EQ(eval_float("1 ? 2.5 : 3"), 2.5);  // the chosen side, as is
  EXPECT_EQ(eval_int("0 ? 2.5 : 3"), 3);
}

TEST(ExpressionEval, Functions) {
  EXPECT_EQ(eval_int("min(3, 1, 2)"), 1);
  EXPECT_EQ(eval_int("max(3, 1, 2)"), 3);
  EXPECT_DOUBLE_EQ(eval_float("min(1, 2.5)"), 1.0);  // double when any is a float
  EXPECT_DOUBLE_EQ(eval_float("max(1, 2.5)"), 2.5);
  EXPECT_EQ(eval_int("clamp(5, 1, 4)"), 4);
  EXPECT_EQ(eval_int("clamp(-5, 1, 4)"), 1);
  EXPECT_EQ(eval_int("clamp(3, 3, 3)"), 3);
  EXPECT_DOUBLE_EQ(eval_float("clamp(0.5, 0, 1)"), 0.5);
  EXPECT_EQ(eval_int("abs(-9)"), 9);
  EXPECT_DOUBLE_EQ(eval_float("abs(-2.5)"), 2.5);
  EXPECT_EQ(eval_int("ceil_div(10, 3)"), 4);
  EXPECT_EQ(eval_int("ceil_div(9, 3)"), 3);
  EXPECT_EQ(eval_int("ceil_div(0, 3)"), 0);
  EXPECT_EQ(eval_int("ceil_div(-10, 3)"), -3);
  EXPECT_EQ(eval_int("round_up(10, 4)"), 12);
  EXPECT_EQ(eval_int("round_up(12, 4)"), 12);
  EXPECT_EQ(eval_int("log2_ceil(1)"), 0);
  EXPECT_EQ(eval_int("log2_ceil(5)"), 3);
  EXPECT_EQ(eval_int("log2_ceil(8)"), 3);
  EXPECT_EQ(eval_int("log2_ceil(9223372036854775807)"), 63);
  EXPECT_EQ(eval_int("next_pow2(100)"), 128);
  EXPECT_EQ(eval_int("next_pow2(1)"), 1);
  EXPECT_EQ(eval_int("next_pow2(4611686018427387904)"), std::int64_t{1} << 62);
  EXPECT_EQ(eval_int("floor(2.7)"), 2);
  EXPECT_EQ(eval_int("floor(-2.5)"), -3);
  EXPECT_EQ(eval_int("ceil(2.1)"), 3);
  EXPECT_EQ(eval_int("ceil(-2.5)"), -2);
  EXPECT_EQ(eval_int("round(2.5)"), 3);
  EXPECT_EQ(eval_int("round(-2.5)"), -3);
  EXPECT_EQ(eval_int("round(7)"), 7);  // ints pass through
  EXPECT_DOUBLE_EQ(eval_float("float(7) / 2"), 3.5);
  EXPECT_DOUBLE_EQ(eval_float("sqrt(16)"), 4.0);
  EXPECT_EQ(eval_int("max(min(4, 8), ceil_div(7, 2))"), 4);
}

TEST(ExpressionEval, NamesComeFromTheSymbolTable) {
  const symbol_table symbols = example_symbols();
  EXPECT_EQ(eval_int("num_kv_indices / batch_size", symbols), 1000);
  EXPECT_EQ(eval_int("clamp(ceil_div(2 * num_sms, batch_size * 4), 1, ceil_div(1000, 256))", symbols), 4);
  EXPECT_DOUBLE_EQ(eval_float("sm_scale * 2", symbols), 0.25);
  EXPECT_EQ(eval_int("_x1 + 1",
                     [] {
                       symbol_table s;
                       s.set_int("_x1", 4);
                       return s;
                     }()),
            5);
}

TEST(ExpressionEval, LogicAndConditionalEvaluateOnlyWhatTheyNeed) {
  symbol_table symbols;
  symbols.set_int("a", 10);
  symbols.set_int("b", 0);
  EXPECT_EQ(eval_int("b != 0 && a / b > 2", symbols), 0);
  EXPECT_EQ(eval_int("b == 0 || a / b > 2", symbols), 1);
  EXPECT_EQ(eval_int("b ? a / b : -1", symbols), -1);
  EXPECT_EQ(eval_int("0 && undefined_name"), 0);
  EXPECT_EQ(eval_int("1 || undefined_name"), 1);
  EXPECT_EQ(eval_int("2 && 3"), 1);  // logic gives 0/1
}

TEST(ExpressionEval, ReferencedNamesInOrderOfFirstAppearance) {
  auto parsed = expression::parse("b + a * b + min(c, a) + ceil_div(d, 2)");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->referenced_names(), (std::vector<std::string>{"b", "a", "c", "d"}));
  auto constant = expression::parse("min(1, 2)");
  ASSERT_TRUE(constant.has_value());
  EXPECT_TRUE(constant->referenced_names().empty());
}

TEST(ExpressionEval, TextIsKeptAndCopiesShareTheTree) {
  auto parsed = expression::parse("ceil_div(n, 256)");
  ASSERT_TRUE(parsed.has_value());
  const expression copy = *parsed;
  EXPECT_EQ(copy.text(), "ceil_div(n, 256)");
  symbol_table symbols;
  symbols.set_int("n", 1000);
  EXPECT_EQ(copy.evaluate(symbols), plan_value::of_int(4));
  symbols.set_int("n", 1025);  // parse once, evaluate per workload
  EXPECT_EQ(parsed->evaluate(symbols), plan_value::of_int(5));
}

TEST(ExpressionEval, ConstantExpression) {
  const expression four = expression::constant(plan_value::of_int(4));
  EXPECT_EQ(four.text(), "4");
  EXPECT_EQ(four.evaluate({}), plan_value::of_int(4));
  const expression half = expression::constant(plan_value::of_float(0.5));
  EXPECT_EQ(half.text(), "0.5");
  EXPECT_EQ(half.evaluate({}), plan_value::of_float(0.5));
  EXPECT_TRUE(half.referenced_names().empty());
}

TEST(ExpressionEval, ConcurrentEvaluationOfOneExpression) {
  auto parsed = expression::parse("clamp(ceil_div(2 * num_sms, batch_size), 1, 64) * 3 + (batch_size > 8 ? 1 : 0)");
  ASSERT_TRUE(parsed.has_value());
  std::vector<std::int64_t> results(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      symbol_table symbols;
      symbols.set_int("num_sms", 132);
      symbols.set_int("batch_size", static_cast<std::int64_t>(t + 7));
      for (int k = 0; k < 2000; ++k) {
        auto value = parsed->evaluate(symbols);
        results[t] = value ? value->i : -1;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(results, (std::vector<std::int64_t>{38 * 3, 33 * 3, 30 * 3 + 1, 27 * 3 + 1}));
}

TEST(ExpressionEval, HelperPredicates) {
  EXPECT_TRUE(is_identifier("batch_size"));
  EXPECT_TRUE(is_identifier("_x9"));
  EXPECT_FALSE(is_identifier("9x"));
  EXPECT_FALSE(is_identifier("a-b"));
  EXPECT_FALSE(is_identifier(""));
  EXPECT_TRUE(is_expression_function("ceil_div"));
  EXPECT_FALSE(is_expression_function("ceildiv"));
  EXPECT_TRUE(is_reserved_expression_word("true"));
  EXPECT_TRUE(is_reserved_expression_word("max"));
  EXPECT_FALSE(is_reserved_expression_word("splits"));
}

// --- parse errors ---------------------------------------------------------------------------

TEST(ExpressionParseErrors, MissingParenthesisShowsColumnAndCaret) {
  const error e = parse_error("ceil_div(a, b");
  EXPECT_EQ(e.subject, "expression");
  EXPECT_EQ(e.problem,
            "expected ',' or ')', found the end of the expression at column 14:\n"
            "  ceil_div(a, b\n"
            "               ^");
  EXPECT_EQ(parse_error("(a + b").problem,
            "expected ')', found the end of the expression at column 7:\n"
            "  (a + b\n"
            "        ^");
}

TEST(ExpressionParseErrors, EachKindNamesTheProblem) {
  EXPECT_EQ(parse_error("").problem, "empty expression at column 1:\n  \n  ^");
  EXPECT_PRED2(starts_with, parse_error("   ").problem, "empty expression");
  EXPECT_PRED2(starts_with, parse_error("1 2").problem,
               "unexpected '2' after the end of the expression at column 3:\n  1 2");
  EXPECT_PRED2(starts_with, parse_error("1 +").problem,
               "expected a number, a name or '(', found the end of the expression at column 4");
  EXPECT_PRED2(starts_with, parse_error("* 2").problem, "expected a number, a name or '(', found '*' at column 1:");

  const error assign = parse_error("a = 1");
  EXPECT_PRED2(starts_with, assign.problem, "unexpected '=' at column 3:\n");
  EXPECT_NE(assign.fix.find("'=='"), std::string::npos);
  const error bitwise = parse_error("a & b");
  EXPECT_PRED2(starts_with, bitwise.problem, "unexpected '&' at column 3");
  EXPECT_NE(bitwise.fix.find("'&&'"), std::string::npos);
  EXPECT_PRED2(starts_with, parse_error("a | b").problem, "unexpected '|' at column 3");
  EXPECT_PRED2(starts_with, parse_error("a ^ b").problem, "unexpected '^' at column 3");
  EXPECT_PRED2(starts_with, parse_error("a $ b").problem, "unexpected character '$' at column 3");
  EXPECT_PRED2(starts_with, parse_error("a \xc3\xa9").problem, "unexpected byte 0xC3 at column 3:");

  EXPECT_PRED2(starts_with, parse_error("1.0f").problem, "invalid number '1.0f' at column 1:");
  EXPECT_PRED2(starts_with, parse_error("2x + 1").problem, "invalid number '2x' at column 1:");
  EXPECT_PRED2(starts_with, parse_error("1.2.3").problem, "invalid number '1.2.3' at column 1:");
  EXPECT_PRED2(starts_with, parse_error("9223372036854775808").problem,
               "integer literal '9223372036854775808' does not fit int64 at");
  EXPECT_PRED2(starts_with, parse_error("1e999").problem, "float literal '1e999' is out of range");
  EXPECT_PRED2(starts_with, parse_error("min(1,").problem,
               "expected a number, a name or '(', found the end of the expression at column 7");
  EXPECT_PRED2(starts_with, parse_error("1 ? 2").problem, "expected ':', found the end of the expression at column 6");
  EXPECT_PRED2(starts_with, parse_error("min(1 2)").problem, "expected ',' or ')', found '2' at column 7:\n  ");
}

TEST(ExpressionParseErrors, UnknownFunctionSuggestsTheClosest) {
  const error e = parse_error("ceildiv(n, 256)");
  EXPECT_PRED2(
      starts_with, e.problem,
      "unknown function 'ceildiv' (known: abs, ceil, ceil_div, clamp, float, floor, log2_ceil, max, min, next_pow2, "
      "round, round_");
  EXPECT_NE(e.problem.find(") at column 1:\n  ceildiv(n, 256)\n  ^"), std::string::npos) << e.problem;
  EXPECT_EQ(e.fix, "did you mean 'ceil_div'?");
  EXPECT_EQ(parse_error("frobnicate(1)").fix, "");
}

TEST(ExpressionParseErrors, WrongArity) {
  EXPECT_PRED2(starts_with, parse_error("clamp(1, 2)").problem, "clamp takes 3 arguments, got 2 at column 1:\n ");
  EXPECT_PRED2(starts_with, parse_error("min(1)").problem, "min takes at least 2 arguments, got 1 at ");
  EXPECT_PRED2(starts_with, parse_error("abs(1, 2)").problem, "abs takes 1 argument, got 2 ");
  EXPECT_PRED2(starts_with, parse_error("x + sqrt()").problem, "sqrt takes 1 argument, got 0 at column 5");
}

TEST(ExpressionParseErrors, LongTextShowsAWindowWithTheCaretUnderTheFault) {
  const std::string text = repeat("a", 300) + " + )";
  const error e = parse_error(text);
  ASSERT_PRED2(starts_with, e.problem, "expected a number, a name or '(', found ')' at column 304:\n  ");
  const std::size_t first_newline = e.problem.find('\n');
  const std::size_t second_newline = e.problem.find('\n', first_newline + 1);
  const std::string excerpt = e.problem.substr(first_newline + 1, second_newline - first_newline - 1);
  const std::string caret = e.problem.substr(second_newline + 1);
  EXPECT_PRED2(starts_with, excerpt, "  ...");
  EXPECT_LT(excerpt.size(), 90u);
  ASSERT_EQ(caret.back(), '^');
  EXPECT_EQ(excerpt[caret.size() - 1], ')');
}

TEST(ExpressionParseErrors, NewlinesInTheTextDoNotBreakTheExcerpt) {
  const error e = parse_error("1 +\n(2");
  EXPECT_EQ(e.problem, "expected ')', found the end of the expression at column 7:\n  1 + (2\n        ^");
}

// --- evaluation errors ----------------------------------------------------------------------

TEST(ExpressionEvalErrors, UnknownNameListsTheKnownOnesAndSuggests) {
  const error e = eval_error("bacth_size * 2", example_symbols());
  EXPECT_EQ(e.subject, "expression");
  EXPECT_EQ(e.problem,
            "unknown name 'bacth_size' (known: batch_size, num_kv_indices, num_sms, sm_scale) at column 1:\n"
            "  bacth_size * 2\n"
            "  ^");
  EXPECT_EQ(e.fix, "did you mean 'batch_size'?");
  EXPECT_PRED2(starts_with, eval_error("zzz").problem, "unknown name 'zzz' (no names are defined) ");
  EXPECT_EQ(eval_error("qqqqqqq + 1", example_symbols()).fix, "");
  EXPECT_EQ(eval_error("min + 1", example_symbols()).fix, "'min' is a function: call it, e.g. min(...)");
}

TEST(ExpressionEvalErrors, UnknownNameErrorHelper) {
  const std::vector<std::string> known{"batch_size", "num_pages"};
  const error e = unknown_name_error("steps[1].grid[0]", "Batch_Size", known);
  EXPECT_EQ(e.subject, "steps[1].grid[0]");
  EXPECT_EQ(e.problem, "unknown name 'Batch_Size' (known: batch_size, num_pages)");
  EXPECT_EQ(e.fix, "did you mean 'batch_size'?");
  std::vector<std::string> many;
  for (int k = 0; k < 45; ++k) many.push_back("n" + std::to_string(k));
  EXPECT_NE(unknown_name_error("x", "zz", many).problem.find("n39, ... (5 more))"), std::string::npos);
}

TEST(ExpressionEvalErrors, DivisionAndModuloByZero) {
  symbol_table symbols;
  symbols.set_int("num_kv_indices", 100);
  symbols.set_int("batch_size", 0);
  const error e = eval_error("num_kv_indices / batch_size", symbols);
  EXPECT_EQ(e.problem,
            "division by zero: 100 / 0 at column 16:\n"
            "  num_kv_indices / batch_size\n"
            "                 ^");
  EXPECT_PRED2(starts_with, eval_error("1.5 / 0").problem, "division by zero: 1.5 / 0 at column ");
  EXPECT_PRED2(starts_with, eval_error("1 / 0.0").problem, "division by zero: 1 / 0.0 at");
  EXPECT_PRED2(starts_with, eval_error("7 % (2 - 2)").problem, "modulo by zero: 7 % 0 at column 3:");
  EXPECT_PRED2(starts_with, eval_error("ceil_div(10, 0)").problem, "division by zero: ceil_div(10, 0) at colum");
  EXPECT_PRED2(starts_with, eval_error("round_up(10, 0)").problem, "division by zero: round_up(10, 0) ");
}

TEST(ExpressionEvalErrors, Int64OverflowIsCaught) {
  symbol_table symbols;
  symbols.set_int("big", std::numeric_limits<std::int64_t>::max());
  symbols.set_int("lowest", std::numeric_limits<std::int64_t>::min());
  EXPECT_PRED2(starts_with, eval_error("big + 1", symbols).problem,
               "int64 overflow: 9223372036854775807 + 1 at column ");
  EXPECT_PRED2(starts_with, eval_error("lowest - 1", symbols).problem, "int64 overflow: -9223372036854775808 - 1 ");
  EXPECT_PRED2(starts_with, eval_error("big * 2", symbols).problem, "int64 overflow: 9223372036854775807 * 2");
  EXPECT_PRED2(starts_with, eval_error("-lowest", symbols).problem, "int64 overflow: -(-9223372036854775808)");
  EXPECT_PRED2(starts_with, eval_error("lowest / -1", symbols).problem, "int64 overflow: -9223372036854775808 / -1");
  EXPECT_PRED2(starts_with, eval_error("abs(lowest)", symbols).problem, "int64 overflow: abs(-9223372036854775808) a");
  EXPECT_PRED2(starts_with, eval_error("round_up(big, 2)", symbols).problem,
               "int64 overflow: round_up(9223372036854775807, 2) at");
  EXPECT_PRED2(starts_with, eval_error("next_pow2(big)", symbols).problem,
               "int64 overflow: next_pow2(9223372036854775807) at ");
  EXPECT_PRED2(starts_with, eval_error("1e300 * 1e300").problem, "float result of 1e+300 * 1e+300 is not finite at c");
}

TEST(ExpressionEvalErrors, FloatWhereAnIntIsNeeded) {
  const error mod = eval_error("7.5 % 2");
  EXPECT_PRED2(starts_with, mod.problem, "'%' needs ints, got 7.5 % 2 at column ");
  EXPECT_EQ(mod.fix, "use floor(), ceil() or round() to turn a float into an int");
  EXPECT_PRED2(starts_with, eval_error("ceil_div(10.5, 2)").problem, "ceil_div needs ints, got ceil_div(10.5, 2) a");
  EXPECT_PRED2(starts_with, eval_error("round_up(8, 2.0)").problem, "round_up needs ints, got round_up(8, 2.0");
  EXPECT_PRED2(starts_with, eval_error("log2_ceil(4.0)").problem, "log2_ceil needs ints, got log2_ceil(4.");
  EXPECT_PRED2(starts_with, eval_error("next_pow2(0.5)").problem, "next_pow2 needs ints, got ");
}

TEST(ExpressionEvalErrors, ArgumentsOutsideAFunctionsDomain) {
  EXPECT_PRED2(starts_with, eval_error("clamp(1, 5, 2)").problem,
               "clamp(x, lo, hi) needs lo <= hi, got clamp(1, 5, 2) ");
  EXPECT_PRED2(starts_with, eval_error("clamp(1.0, 5, 2)").problem, "clamp(x, lo, hi) needs lo <= hi, got");
  EXPECT_PRED2(starts_with, eval_error("ceil_div(10, -2)").problem,
               "ceil_div needs a positive divisor, got ceil_div(10, -2) ");
  EXPECT_PRED2(starts_with, eval_error("log2_ceil(0)").problem, "log2_ceil needs x >= 1, got log2_ceil(0) ");
  EXPECT_PRED2(starts_with, eval_error("next_pow2(-3)").problem, "next_pow2 needs x >= 1, got ne");
  EXPECT_PRED2(starts_with, eval_error("sqrt(-1)").problem, "sqrt needs x >= 0, got sqrt(-1)");
  EXPECT_PRED2(starts_with, eval_error("floor(1e30)").problem, "floor(1e+30) does not fit int64 a");
  EXPECT_PRED2(starts_with, eval_error("round(-1e19)").problem, "round(-1e+19) does not fit int64 ");
}

TEST(ExpressionEvalErrors, ErrorInsideANestedCallPointsAtTheInnerOperator) {
  symbol_table symbols;
  symbols.set_int("n", 5);
  const error e = eval_error("max(1, min(n, n / (n - 5)))", symbols);
  EXPECT_EQ(e.problem,
            "division by zero: 5 / 0 at column 17:\n"
            "  max(1, min(n, n / (n - 5)))\n"
            "                  ^");
}

// --- limits ---------------------------------------------------------------------------------

TEST(ExpressionLimits, LengthIsCapped) {
  const std::string at_limit(max_expression_length, 'a');  // one long name: fine
  auto parsed = expression::parse(at_limit);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->referenced_names().front().size(), max_expression_length);
  const error e = parse_error(std::string(max_expression_length + 1, 'a'));
  EXPECT_EQ(e.problem, "expression is 1025 characters long, over the limit of 1024");
  EXPECT_PRED2(starts_with, parse_error(std::string(100000, '(')).problem, "expression is 100000 character");
}

TEST(ExpressionLimits, ParenthesesNestingIsCapped) {
  EXPECT_EQ(eval_int(repeat("(", 60) + "1" + repeat(")", 60)), 1);
  const error e = parse_error(repeat("(", 70) + "1" + repeat(")", 70));
  EXPECT_PRED2(starts_with, e.problem, "expression nests deeper than 64 levels at ");
  EXPECT_PRED2(starts_with, parse_error(repeat("(", 500)).problem, "expression nests deeper than 64 levels");
}

TEST(ExpressionLimits, UnaryCallAndConditionalNestingIsCapped) {
  EXPECT_EQ(eval_int(repeat("-", 40) + "1"), 1);
  EXPECT_PRED2(starts_with, parse_error(repeat("-", 100) + "1").problem, "expression nests deeper than 64 levels");
  EXPECT_PRED2(starts_with, parse_error(repeat("!", 300) + "1").problem, "expression nests deeper than 64 levels");
  EXPECT_PRED2(starts_with, parse_error(repeat("abs(", 70) + "1" + repeat(")", 70)).problem,
               "expression nests deeper than 64 levels");
  EXPECT_PRED2(starts_with, parse_error(repeat("1 ? 1 : ", 70) + "1").problem,
               "expression nests deeper than 64 levels");
  EXPECT_EQ(eval_int(repeat("0 ? 1 : ", 20) + "7"), 7);
}

TEST(ExpressionLimits, LongOperatorChainsAreCappedToo) {
  // A left-deep chain needs no parser recursion but builds a deep tree; the cap keeps the
  // evaluator's recursion bounded.
  EXPECT_EQ(eval_int("1" + repeat(" + 1", 60)), 61);
  const error e = parse_error("1" + repeat("+1", 80));
  EXPECT_PRED2(starts_with, e.problem, "expression nests deeper than 64 levels at ");
  EXPECT_NE(e.fix.find("let"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::eval
