#include "ksearch/eval/plan/expression.h"

// Implementation details
// ----------------------
// parse() turns the text into a flat vector of nodes (children are indices), with a
// recursive-descent parser that has one function per precedence level. Two counters keep hostile
// text from exhausting the stack: the parser's own nesting (parentheses, calls, unary operators,
// ternary branches) and each node's depth in the tree (long operator chains build deep trees that
// the evaluator walks recursively). Both are capped at max_expression_depth, so the evaluator's
// recursion is bounded too. Errors carry the 1-based column of the token at fault and an excerpt
// of the text with a caret under it.

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace ksearch::eval {

namespace {

enum class op : std::uint8_t {
  literal,
  name,
  neg,
  plus,
  logical_not,
  add,
  sub,
  mul,
  div,
  mod,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  logical_and,
  logical_or,
  conditional,
  call,
};

enum class fn : std::uint8_t {
  min,
  max,
  clamp,
  abs,
  ceil_div,
  round_up,
  log2_ceil,
  next_pow2,
  floor,
  ceil,
  round,
  to_float,
  sqrt,
};

struct function_info {
  std::string_view name;
  fn id;
  std::size_t min_args;
  std::size_t max_args;  // npos: any number
};

constexpr std::size_t any_count = static_cast<std::size_t>(-1);

constexpr std::array<function_info, 13> functions{{
    {"abs", fn::abs, 1, 1},
    {"ceil", fn::ceil, 1, 1},
    {"ceil_div", fn::ceil_div, 2, 2},
    {"clamp", fn::clamp, 3, 3},
    {"float", fn::to_float, 1, 1},
    {"floor", fn::floor, 1, 1},
    {"log2_ceil", fn::log2_ceil, 1, 1},
    {"max", fn::max, 2, any_count},
    {"min", fn::min, 2, any_count},
    {"next_pow2", fn::next_pow2, 1, 1},
    {"round", fn::round, 1, 1},
    {"round_up", fn::round_up, 2, 2},
    {"sqrt", fn::sqrt, 1, 1},
}};

const function_info* find_function(std::string_view name) {
  for (const function_info& info : functions) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string_view function_name(fn id) {
  for (const function_info& info : functions) {
    if (info.id == id) return info.name;
  }
  return "?";
}

std::string known_functions_text() {
  std::string text;
  for (const function_info& info : functions) {
    if (!text.empty()) text += ", ";
    text += info.name;
  }
  return text;
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Edit distance, for "did you mean" suggestions. Names are short (a few dozen characters).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct unknown_name_text {
  std::string problem;
  std::string fix;
};

unknown_name_text describe_unknown_name(std::string_view name, std::span<const std::string> known) {
  constexpr std::size_t listed_at_most = 40;
  std::string list;
  for (std::size_t k = 0; k < known.size() && k < listed_at_most; ++k) {
    if (!list.empty()) list += ", ";
    list += known[k];
  }
  if (known.size() > listed_at_most) list += ", ... (" + std::to_string(known.size() - listed_at_most) + " more)";
  unknown_name_text text;
  text.problem = "unknown name '" + std::string(name) + "'" +
                 (list.empty() ? std::string(" (no names are defined)") : " (known: " + list + ")");
  if (find_function(name) != nullptr) {
    text.fix = "'" + std::string(name) + "' is a function: call it, e.g. " + std::string(name) + "(...)";
    return text;
  }
  // Closest known name, if it is close enough to be a plausible typo.
  const std::string lower = lowercase(name);
  std::size_t best = std::numeric_limits<std::size_t>::max();
  const std::string* best_name = nullptr;
  for (const std::string& candidate : known) {
    const std::size_t distance = edit_distance(lower, lowercase(candidate));
    if (distance < best) {
      best = distance;
      best_name = &candidate;
    }
  }
  const std::size_t tolerated = std::max<std::size_t>(2, name.size() / 3);
  if (best_name != nullptr && best <= tolerated) text.fix = "did you mean '" + *best_name + "'?";
  return text;
}

// "<problem> at column N:\n  <excerpt>\n  <caret>". Long texts show a window around the column.
std::string locate(std::string_view text, std::size_t column, std::string_view problem) {
  constexpr std::size_t half_window = 36;
  std::size_t begin = 0;
  std::size_t end = text.size();
  const std::size_t at = column - 1;  // 0-based, may equal text.size() (end of input)
  if (text.size() > 2 * half_window) {
    begin = at > half_window ? at - half_window : 0;
    end = std::min(text.size(), begin + 2 * half_window);
  }
  std::string excerpt(text.substr(begin, end - begin));
  for (char& c : excerpt) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string prefix = "  ";
  if (begin > 0) {
    excerpt = "..." + excerpt;
  }
  if (end < text.size()) excerpt += "...";
  const std::size_t caret_offset = (at - begin) + (begin > 0 ? 3 : 0);
  std::string out(problem);
  out += " at column " + std::to_string(column) + ":\n" + prefix + excerpt + "\n" + prefix;
  out.append(caret_offset, ' ');
  out += '^';
  return out;
}

}  // namespace

namespace detail {

struct expression_node {
  op kind = op::literal;
  fn function = fn::min;   // op::call only
  std::size_t column = 1;  // 1-based, of the token that made the node
  int depth = 1;           // 1 for a leaf
  plan_value literal;      // op::literal only
  std::string name;        // op::name only
  std::vector<std::uint32_t> kids;
};

struct expression_tree {
  std::string text;
  std::vector<expression_node> nodes;
  std::uint32_t root = 0;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// plan_value, symbol_table

std::string plan_value::to_string() const {
  if (!is_float) return std::to_string(i);
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), f);
  std::string text(buffer.data(), ec == std::errc() ? end : buffer.data());
  if (text.find_first_of(".ein") == std::string::npos) text += ".0";
  return text;
}

void symbol_table::set(std::string name, plan_value value) {
  for (auto& [existing, stored] : entries_) {
    if (existing == name) {
      stored = value;
      return;
    }
  }
  entries_.emplace_back(std::move(name), value);
}

std::optional<plan_value> symbol_table::lookup(std::string_view name) const {
  for (const auto& [existing, stored] : entries_) {
    if (existing == name) return stored;
  }
  return std::nullopt;
}

std::vector<std::string> symbol_table::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) out.push_back(entry.first);
  return out;
}

bool is_expression_function(std::string_view name) { return find_function(name) != nullptr; }

bool is_reserved_expression_word(std::string_view name) {
  return is_expression_function(name) || name == "true" || name == "false";
}

bool is_identifier(std::string_view text) {
  if (text.empty() || !is_name_start(text.front())) return false;
  return std::all_of(text.begin(), text.end(), is_name_char);
}

error unknown_name_error(std::string subject, std::string_view name, std::span<const std::string> known) {
  unknown_name_text text = describe_unknown_name(name, known);
  return error{std::move(subject), std::move(text.problem), std::move(text.fix)};
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser

namespace {

using detail::expression_node;
using detail::expression_tree;

enum class token_kind : std::uint8_t { end, number, name, punct };

struct token {
  token_kind kind = token_kind::end;
  std::string_view text;
  std::size_t column = 1;
  plan_value number;
};

class parser {
 public:
  parser(std::string_view text, expression_tree& tree) : text_(text), tree_(tree) {}

  result<std::uint32_t> parse_all() {
    if (auto first = advance(); !first) return std::unexpected(first.error());
    if (current_.kind == token_kind::end) return fail_here("empty expression");
    auto root = parse_expression();
    if (!root) return root;
    if (current_.kind != token_kind::end) {
      return fail_here("unexpected '" + std::string(current_.text) + "' after the end of the expression");
    }
    return root;
  }

 private:
  // --- errors -------------------------------------------------------------------------------
  std::unexpected<error> fail_at(std::size_t column, std::string_view problem, std::string fix = {}) const {
    return fail("expression", locate(text_, column, problem), std::move(fix));
  }
  std::unexpected<error> fail_here(std::string_view problem, std::string fix = {}) const {
    return fail_at(current_.column, problem, std::move(fix));
  }
  std::string describe_current() const {
    if (current_.kind == token_kind::end) return "the end of the expression";
    return "'" + std::string(current_.text) + "'";
  }

  // --- lexer --------------------------------------------------------------------------------
  result<void> advance() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
    current_ = token{};
    current_.column = pos_ + 1;
    if (pos_ >= text_.size()) {
      current_.kind = token_kind::end;
      current_.text = {};
      return {};
    }
    const char c = text_[pos_];
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) return lex_number();
    if (is_name_start(c)) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
      current_.kind = token_kind::name;
      current_.text = text_.substr(start, pos_ - start);
      if (current_.text == "true" || current_.text == "false") {
        current_.kind = token_kind::number;
        current_.number = plan_value::of_int(current_.text == "true" ? 1 : 0);
      }
      return {};
    }
    static constexpr std::array<std::string_view, 6> two_char{"<=", ">=", "==", "!=", "&&", "||"};
    for (std::string_view punct : two_char) {
      if (text_.substr(pos_, 2) == punct) {
        current_.kind = token_kind::punct;
        current_.text = text_.substr(pos_, 2);
        pos_ += 2;
        return {};
      }
    }
    static constexpr std::string_view one_char = "(),?:+-*/%!<>";
    if (one_char.find(c) != std::string_view::npos) {
      current_.kind = token_kind::punct;
      current_.text = text_.substr(pos_, 1);
      ++pos_;
      return {};
    }
    if (c == '=') return fail_here("unexpected '='", "compare with '=='; the language has no assignment");
    if (c == '&' || c == '|') {
      return fail_here(std::string("unexpected '") + c + "'",
                       std::string("bitwise operators are not supported; for logic use '") + c + c + "'");
    }
    if (c == '^' || c == '~')
      return fail_here(std::string("unexpected '") + c + "'", "bitwise operators are not supported");
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
      static constexpr std::string_view hex = "0123456789ABCDEF";
      return fail_here(std::string("unexpected byte 0x") + hex[byte >> 4] + hex[byte & 0xf]);
    }
    return fail_here(std::string("unexpected character '") + c + "'");
  }

  result<void> lex_number() {
    const std::size_t start = pos_;
    const auto at = [&](std::size_t k) { return k < text_.size() ? text_[k] : '\0'; };
    bool is_float = false;
    bool is_hex = false;
    if (at(pos_) == '0' && (at(pos_ + 1) == 'x' || at(pos_ + 1) == 'X') && is_hex_digit(at(pos_ + 2))) {
      is_hex = true;
      pos_ += 2;
      while (is_hex_digit(at(pos_))) ++pos_;
    } else {
      while (is_digit(at(pos_))) ++pos_;
      if (at(pos_) == '.') {
        is_float = true;
        ++pos_;
        while (is_digit(at(pos_))) ++pos_;
      }
      if ((at(pos_) == 'e' || at(pos_) == 'E') &&
          (is_digit(at(pos_ + 1)) || ((at(pos_ + 1) == '+' || at(pos_ + 1) == '-') && is_digit(at(pos_ + 2))))) {
        is_float = true;
        pos_ += 2;
        while (is_digit(at(pos_))) ++pos_;
      }
    }
    // "1.0f", "2x", "1.2.3": a number glued to more number-like text.
    if (is_name_char(at(pos_)) || at(pos_) == '.') {
      std::size_t stop = pos_;
      while (is_name_char(at(stop)) || at(stop) == '.') ++stop;
      return fail_here("invalid number '" + std::string(text_.substr(start, stop - start)) + "'",
                       "numbers are decimal (42, 1.5, 1e-3) or hex (0x40), without suffixes");
    }
    current_.kind = token_kind::number;
    current_.text = text_.substr(start, pos_ - start);
    const char* first = current_.text.data();
    const char* last = first + current_.text.size();
    if (is_float) {
      double value = 0;
      const auto [ptr, ec] = std::from_chars(first, last, value);
      if (ec != std::errc() || ptr != last || !std::isfinite(value)) {
        return fail_here("float literal '" + std::string(current_.text) + "' is out of range");
      }
      current_.number = plan_value::of_float(value);
      return {};
    }
    std::int64_t value = 0;
    const auto [ptr, ec] = is_hex ? std::from_chars(first + 2, last, value, 16) : std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last) {
      return fail_here("integer literal '" + std::string(current_.text) + "' does not fit int64");
    }
    current_.number = plan_value::of_int(value);
    return {};
  }

  bool at_punct(std::string_view punct) const { return current_.kind == token_kind::punct && current_.text == punct; }

  result<void> expect(std::string_view punct) {
    if (!at_punct(punct)) return fail_here("expected '" + std::string(punct) + "', found " + describe_current());
    return advance();
  }

  // --- nesting guard -------------------------------------------------------------------------
  struct nesting_scope {
    explicit nesting_scope(int& level) : level_(level) { ++level_; }
    ~nesting_scope() { --level_; }
    nesting_scope(const nesting_scope&) = delete;
    nesting_scope& operator=(const nesting_scope&) = delete;
    int& level_;
  };
  std::string depth_problem() const {
    return "expression nests deeper than " + std::to_string(max_expression_depth) + " levels";
  }

  // --- nodes --------------------------------------------------------------------------------
  result<std::uint32_t> add_node(expression_node node) {
    int depth = 0;
    for (std::uint32_t kid : node.kids) depth = std::max(depth, tree_.nodes[kid].depth);
    node.depth = depth + 1;
    if (node.depth > max_expression_depth) {
      return fail_at(node.column, depth_problem(), "split long operator chains with parentheses or use let bindings");
    }
    tree_.nodes.push_back(std::move(node));
    return static_cast<std::uint32_t>(tree_.nodes.size() - 1);
  }

  result<std::uint32_t> add_operator(op kind, std::size_t column, std::vector<std::uint32_t> kids) {
    expression_node node;
    node.kind = kind;
    node.column = column;
    node.kids = std::move(kids);
    return add_node(std::move(node));
  }

  // --- grammar, lowest precedence first --------------------------------------------------------
  result<std::uint32_t> parse_expression() {
    nesting_scope scope(nesting_);
    if (nesting_ > max_expression_depth) return fail_here(depth_problem());
    return parse_conditional();
  }

  result<std::uint32_t> parse_conditional() {
    auto condition = parse_logical_or();
    if (!condition || !at_punct("?")) return condition;
    const std::size_t column = current_.column;
    if (auto moved = advance(); !moved) return std::unexpected(moved.error());
    auto if_true = parse_expression();
    if (!if_true) return if_true;
    if (auto colon = expect(":"); !colon) return std::unexpected(colon.error());
    nesting_scope scope(nesting_);
    if (nesting_ > max_expression_depth) return fail_here(depth_problem());
    auto if_false = parse_conditional();  // right-associative: a ? b : c ? d : e
    if (!if_false) return if_false;
    return add_operator(op::conditional, column, {*condition, *if_true, *if_false});
  }

  // One left-associative binary level: operand (operator operand)*.
  template <class Next>
  result<std::uint32_t> parse_binary_level(Next next,
                                           std::initializer_list<std::pair<std::string_view, op>> operators) {
    auto left = (this->*next)();
    if (!left) return left;
    while (current_.kind == token_kind::punct) {
      const auto match = std::find_if(operators.begin(), operators.end(),
                                      [&](const auto& entry) { return entry.first == current_.text; });
      if (match == operators.end()) break;
      const std::size_t column = current_.column;
      if (auto moved = advance(); !moved) return std::unexpected(moved.error());
      auto right = (this->*next)();
      if (!right) return right;
      left = add_operator(match->second, column, {*left, *right});
      if (!left) return left;
    }
    return left;
  }

  result<std::uint32_t> parse_logical_or() {
    return parse_binary_level(&parser::parse_logical_and, {{"||", op::logical_or}});
  }
  result<std::uint32_t> parse_logical_and() {
    return parse_binary_level(&parser::parse_equality, {{"&&", op::logical_and}});
  }
  result<std::uint32_t> parse_equality() {
    return parse_binary_level(&parser::parse_relational, {{"==", op::eq}, {"!=", op::ne}});
  }
  result<std::uint32_t> parse_relational() {
    return parse_binary_level(&parser::parse_additive, {{"<", op::lt}, {"<=", op::le}, {">", op::gt}, {">=", op::ge}});
  }
  result<std::uint32_t> parse_additive() {
    return parse_binary_level(&parser::parse_multiplicative, {{"+", op::add}, {"-", op::sub}});
  }
  result<std::uint32_t> parse_multiplicative() {
    return parse_binary_level(&parser::parse_unary, {{"*", op::mul}, {"/", op::div}, {"%", op::mod}});
  }

  result<std::uint32_t> parse_unary() {
    op kind{};
    if (at_punct("-")) {
      kind = op::neg;
    } else if (at_punct("!")) {
      kind = op::logical_not;
    } else if (at_punct("+")) {
      kind = op::plus;
    } else {
      return parse_primary();
    }
    const std::size_t column = current_.column;
    nesting_scope scope(nesting_);
    if (nesting_ > max_expression_depth) return fail_here(depth_problem());
    if (auto moved = advance(); !moved) return std::unexpected(moved.error());
    auto operand = parse_unary();
    if (!operand) return operand;
    return add_operator(kind, column, {*operand});
  }

  result<std::uint32_t> parse_primary() {
    const token here = current_;
    if (here.kind == token_kind::number) {
      expression_node node;
      node.kind = op::literal;
      node.column = here.column;
      node.literal = here.number;
      if (auto moved = advance(); !moved) return std::unexpected(moved.error());
      return add_node(std::move(node));
    }
    if (here.kind == token_kind::name) {
      if (auto moved = advance(); !moved) return std::unexpected(moved.error());
      if (at_punct("(")) return parse_call(here);
      expression_node node;
      node.kind = op::name;
      node.column = here.column;
      node.name = std::string(here.text);
      return add_node(std::move(node));
    }
    if (at_punct("(")) {
      if (auto moved = advance(); !moved) return std::unexpected(moved.error());
      auto inner = parse_expression();
      if (!inner) return inner;
      if (auto closed = expect(")"); !closed) return std::unexpected(closed.error());
      return inner;
    }
    return fail_here("expected a number, a name or '(', found " + describe_current());
  }

  result<std::uint32_t> parse_call(const token& name) {
    const function_info* info = find_function(name.text);
    if (info == nullptr) {
      std::string fix;
      std::size_t best = std::numeric_limits<std::size_t>::max();
      for (const function_info& candidate : functions) {
        const std::size_t distance = edit_distance(lowercase(name.text), candidate.name);
        if (distance < best) {
          best = distance;
          fix = "did you mean '" + std::string(candidate.name) + "'?";
        }
      }
      if (best > std::max<std::size_t>(2, name.text.size() / 3)) fix.clear();
      return fail_at(name.column,
                     "unknown function '" + std::string(name.text) + "' (known: " + known_functions_text() + ")",
                     std::move(fix));
    }
    nesting_scope scope(nesting_);
    if (nesting_ > max_expression_depth) return fail_here(depth_problem());
    if (auto moved = advance(); !moved) return std::unexpected(moved.error());  // past '('
    std::vector<std::uint32_t> args;
    if (!at_punct(")")) {
      while (true) {
        auto arg = parse_expression();
        if (!arg) return arg;
        args.push_back(*arg);
        if (at_punct(",")) {
          if (auto moved = advance(); !moved) return std::unexpected(moved.error());
          continue;
        }
        if (!at_punct(")")) return fail_here("expected ',' or ')', found " + describe_current());
        break;
      }
    }
    if (auto closed = expect(")"); !closed) return std::unexpected(closed.error());
    if (args.size() < info->min_args || args.size() > info->max_args) {
      std::string wanted =
          info->max_args == any_count ? "at least " + std::to_string(info->min_args) : std::to_string(info->min_args);
      return fail_at(name.column, std::string(info->name) + " takes " + wanted + " argument" +
                                      (info->min_args == 1 && info->max_args == 1 ? "" : "s") + ", got " +
                                      std::to_string(args.size()));
    }
    expression_node node;
    node.kind = op::call;
    node.function = info->id;
    node.column = name.column;
    node.kids = std::move(args);
    return add_node(std::move(node));
  }

  std::string_view text_;
  expression_tree& tree_;
  std::size_t pos_ = 0;
  token current_;
  int nesting_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation

constexpr std::string_view make_int_fix = "use floor(), ceil() or round() to turn a float into an int";

std::string_view operator_text(op kind) {
  switch (kind) {
    case op::add:
      return "+";
    case op::sub:
      return "-";
    case op::mul:
      return "*";
    case op::div:
      return "/";
    case op::mod:
      return "%";
    case op::lt:
      return "<";
    case op::le:
      return "<=";
    case op::gt:
      return ">";
    case op::ge:
      return ">=";
    case op::eq:
      return "==";
    case op::ne:
      return "!=";
    case op::logical_and:
      return "&&";
    case op::logical_or:
      return "||";
    default:
      return "?";
  }
}

std::string call_text(fn id, std::span<const plan_value> args) {
  std::string text(function_name(id));
  text += '(';
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (k > 0) text += ", ";
    text += args[k].to_string();
  }
  return text + ')';
}

// A double that is a whole number in int64's range, or nothing.
std::optional<std::int64_t> to_int64(double value) {
  // 2^63 is exactly representable; every double below it in magnitude converts without UB.
  constexpr double limit = 9223372036854775808.0;
  if (!(value >= -limit && value < limit)) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

class evaluator {
 public:
  evaluator(const expression_tree& tree, const symbol_table& symbols) : tree_(tree), symbols_(symbols) {}

  result<plan_value> eval(std::uint32_t index) const {
    const expression_node& node = tree_.nodes[index];
    switch (node.kind) {
      case op::literal:
        return node.literal;
      case op::name: {
        if (auto value = symbols_.lookup(node.name)) return *value;
        const std::vector<std::string> known = symbols_.names();
        unknown_name_text text = describe_unknown_name(node.name, known);
        return fail_at(node, text.problem, std::move(text.fix));
      }
      case op::neg:
      case op::plus:
      case op::logical_not:
        return eval_unary(node);
      case op::logical_and:
      case op::logical_or: {
        auto left = eval(node.kids[0]);
        if (!left) return left;
        const bool decided = node.kind == op::logical_and ? !left->truthy() : left->truthy();
        if (decided) return plan_value::of_int(node.kind == op::logical_or ? 1 : 0);
        auto right = eval(node.kids[1]);
        if (!right) return right;
        return plan_value::of_int(right->truthy() ? 1 : 0);
      }
      case op::conditional: {
        auto condition = eval(node.kids[0]);
        if (!condition) return condition;
        return eval(node.kids[condition->truthy() ? 1 : 2]);
      }
      case op::call:
        return eval_call(node);
      default:
        return eval_binary(node);
    }
  }

 private:
  std::unexpected<error> fail_at(const expression_node& node, std::string_view problem, std::string fix = {}) const {
    return fail("expression", locate(tree_.text, node.column, problem), std::move(fix));
  }

  result<plan_value> checked_float(const expression_node& node, double value, std::string_view what) const {
    if (!std::isfinite(value)) return fail_at(node, "float result of " + std::string(what) + " is not finite");
    return plan_value::of_float(value);
  }

  result<plan_value> eval_unary(const expression_node& node) const {
    auto operand = eval(node.kids[0]);
    if (!operand) return operand;
    const plan_value x = *operand;
    switch (node.kind) {
      case op::plus:
        return x;
      case op::logical_not:
        return plan_value::of_int(x.truthy() ? 0 : 1);
      default:  // op::neg
        if (x.is_float) return plan_value::of_float(-x.f);
        if (x.i == std::numeric_limits<std::int64_t>::min())
          return fail_at(node, "int64 overflow: -(" + x.to_string() + ")");
        return plan_value::of_int(-x.i);
    }
  }

  result<plan_value> eval_binary(const expression_node& node) const {
    auto left = eval(node.kids[0]);
    if (!left) return left;
    auto right = eval(node.kids[1]);
    if (!right) return right;
    const plan_value a = *left;
    const plan_value b = *right;
    const std::string shown = a.to_string() + " " + std::string(operator_text(node.kind)) + " " + b.to_string();
    const bool as_float = a.is_float || b.is_float;
    const double x = a.as_double();
    const double y = b.as_double();
    std::int64_t out = 0;
    switch (node.kind) {
      case op::add:
        if (as_float) return checked_float(node, x + y, shown);
        if (__builtin_add_overflow(a.i, b.i, &out)) return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(out);
      case op::sub:
        if (as_float) return checked_float(node, x - y, shown);
        if (__builtin_sub_overflow(a.i, b.i, &out)) return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(out);
      case op::mul:
        if (as_float) return checked_float(node, x * y, shown);
        if (__builtin_mul_overflow(a.i, b.i, &out)) return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(out);
      case op::div:
        if (as_float ? y == 0.0 : b.i == 0) return fail_at(node, "division by zero: " + shown);
        if (as_float) return checked_float(node, x / y, shown);
        if (a.i == std::numeric_limits<std::int64_t>::min() && b.i == -1)
          return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(a.i / b.i);
      case op::mod:
        if (as_float) return fail_at(node, "'%' needs ints, got " + shown, std::string(make_int_fix));
        if (b.i == 0) return fail_at(node, "modulo by zero: " + shown);
        if (b.i == -1) return plan_value::of_int(0);  // INT64_MIN % -1 is undefined in C++; the answer is 0
        return plan_value::of_int(a.i % b.i);
      case op::lt:
        return plan_value::of_int((as_float ? x < y : a.i < b.i) ? 1 : 0);
      case op::le:
        return plan_value::of_int((as_float ? x <= y : a.i <= b.i) ? 1 : 0);
      case op::gt:
        return plan_value::of_int((as_float ? x > y : a.i > b.i) ? 1 : 0);
      case op::ge:
        return plan_value::of_int((as_float ? x >= y : a.i >= b.i) ? 1 : 0);
      case op::eq:
        return plan_value::of_int((as_float ? x == y : a.i == b.i) ? 1 : 0);
      case op::ne:
        return plan_value::of_int((as_float ? x != y : a.i != b.i) ? 1 : 0);
      default:
        return fail_at(node, "internal error: unexpected operator");
    }
  }

  result<plan_value> eval_call(const expression_node& node) const {
    std::vector<plan_value> args;
    args.reserve(node.kids.size());
    for (std::uint32_t kid : node.kids) {
      auto value = eval(kid);
      if (!value) return value;
      args.push_back(*value);
    }
    const std::string shown = call_text(node.function, args);
    const bool any_float = std::any_of(args.begin(), args.end(), [](const plan_value& v) { return v.is_float; });
    const auto need_ints = [&]() -> result<void> {
      if (any_float)
        return fail_at(node, std::string(function_name(node.function)) + " needs ints, got " + shown,
                       std::string(make_int_fix));
      return {};
    };
    switch (node.function) {
      case fn::min:
      case fn::max: {
        const bool want_min = node.function == fn::min;
        plan_value best = args[0];
        for (std::size_t k = 1; k < args.size(); ++k) {
          const plan_value& v = args[k];
          const bool better = any_float
                                  ? (want_min ? v.as_double() < best.as_double() : v.as_double() > best.as_double())
                                  : (want_min ? v.i < best.i : v.i > best.i);
          if (better) best = v;
        }
        return any_float ? plan_value::of_float(best.as_double()) : best;
      }
      case fn::clamp: {
        const plan_value x = args[0], lo = args[1], hi = args[2];
        if (any_float) {
          if (lo.as_double() > hi.as_double()) return fail_at(node, "clamp(x, lo, hi) needs lo <= hi, got " + shown);
          return plan_value::of_float(std::min(std::max(x.as_double(), lo.as_double()), hi.as_double()));
        }
        if (lo.i > hi.i) return fail_at(node, "clamp(x, lo, hi) needs lo <= hi, got " + shown);
        return plan_value::of_int(std::min(std::max(x.i, lo.i), hi.i));
      }
      case fn::abs:
        if (args[0].is_float) return plan_value::of_float(std::fabs(args[0].f));
        if (args[0].i == std::numeric_limits<std::int64_t>::min()) return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(args[0].i < 0 ? -args[0].i : args[0].i);
      case fn::ceil_div:
      case fn::round_up: {
        if (auto ints = need_ints(); !ints) return std::unexpected(ints.error());
        const std::int64_t a = args[0].i, b = args[1].i;
        if (b == 0) return fail_at(node, "division by zero: " + shown);
        if (b < 0)
          return fail_at(node, std::string(function_name(node.function)) + " needs a positive divisor, got " + shown);
        const std::int64_t quotient = a / b + ((a % b != 0 && a > 0) ? 1 : 0);
        if (node.function == fn::ceil_div) return plan_value::of_int(quotient);
        std::int64_t out = 0;
        if (__builtin_mul_overflow(quotient, b, &out)) return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(out);
      }
      case fn::log2_ceil:
      case fn::next_pow2: {
        if (auto ints = need_ints(); !ints) return std::unexpected(ints.error());
        const std::int64_t x = args[0].i;
        if (x < 1) return fail_at(node, std::string(function_name(node.function)) + " needs x >= 1, got " + shown);
        const int exponent = x == 1 ? 0 : 64 - std::countl_zero(static_cast<std::uint64_t>(x - 1));
        if (node.function == fn::log2_ceil) return plan_value::of_int(exponent);
        if (exponent > 62) return fail_at(node, "int64 overflow: " + shown);
        return plan_value::of_int(std::int64_t{1} << exponent);
      }
      case fn::floor:
      case fn::ceil:
      case fn::round: {
        if (!args[0].is_float) return args[0];
        const double x = args[0].f;
        const double whole = node.function == fn::floor  ? std::floor(x)
                             : node.function == fn::ceil ? std::ceil(x)
                                                         : std::round(x);
        const auto converted = to_int64(whole);
        if (!converted) return fail_at(node, shown + " does not fit int64");
        return plan_value::of_int(*converted);
      }
      case fn::to_float:
        return plan_value::of_float(args[0].as_double());
      case fn::sqrt:
        if (args[0].as_double() < 0) return fail_at(node, "sqrt needs x >= 0, got " + shown);
        return plan_value::of_float(std::sqrt(args[0].as_double()));
    }
    return fail_at(node, "internal error: unexpected function");
  }

  const expression_tree& tree_;
  const symbol_table& symbols_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// expression

result<expression> expression::parse(std::string_view text) {
  if (text.size() > max_expression_length) {
    return fail("expression",
                "expression is " + std::to_string(text.size()) + " characters long, over the limit of " +
                    std::to_string(max_expression_length),
                "compute parts in let bindings");
  }
  auto tree = std::make_shared<expression_tree>();
  tree->text = std::string(text);
  parser p(tree->text, *tree);
  auto root = p.parse_all();
  if (!root) return std::unexpected(root.error());
  tree->root = *root;
  return expression(std::move(tree));
}

expression expression::constant(plan_value value) {
  auto tree = std::make_shared<expression_tree>();
  tree->text = value.to_string();
  expression_node node;
  node.kind = op::literal;
  node.literal = value;
  tree->nodes.push_back(std::move(node));
  tree->root = 0;
  return expression(std::move(tree));
}

result<plan_value> expression::evaluate(const symbol_table& symbols) const {
  return evaluator(*tree_, symbols).eval(tree_->root);
}

const std::string& expression::text() const { return tree_->text; }

std::vector<std::string> expression::referenced_names() const {
  // Name nodes are created in source order, so node order is order of first appearance.
  std::vector<std::string> names;
  for (const expression_node& node : tree_->nodes) {
    if (node.kind == op::name && std::find(names.begin(), names.end(), node.name) == names.end()) {
      names.push_back(node.name);
    }
  }
  return names;
}

}  // namespace ksearch::eval
