#include "ksearch/search/prompts.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <vector>

#include "ksearch/common/text.h"

namespace ksearch::search {

namespace {

namespace budget = prompt_budget;

constexpr std::string_view value_blanks = " \t\r\n";

[[nodiscard]] bool blank(std::string_view s) { return is_blank(s, value_blanks); }

/// `text` without trailing blanks: templates decide the spacing after a value.
[[nodiscard]] std::string without_trailing_blanks(std::string text) {
  text.resize(trim_end(text, value_blanks).size());
  return text;
}

[[nodiscard]] prompt_value prose(std::string text, std::size_t limit) {
  return {without_trailing_blanks(std::move(text)), limit, cut_kind::prose};
}
[[nodiscard]] prompt_value code(std::string text, std::size_t limit) {
  return {without_trailing_blanks(std::move(text)), limit, cut_kind::code};
}
[[nodiscard]] prompt_value whole(std::string text, std::size_t limit) {
  return {without_trailing_blanks(std::move(text)), limit, cut_kind::whole};
}
[[nodiscard]] prompt_value flag(bool on) { return {on ? "yes" : "", unlimited, cut_kind::whole}; }

/// A rendered partial; whole() trims its end when it is passed on.
[[nodiscard]] result<std::string> partial(result<std::string> rendered) { return rendered; }

/// Fails with "<builder>: <field>" when `value` is blank.
[[nodiscard]] std::optional<error> require(std::string_view builder, std::string_view field, std::string_view value,
                                           std::string_view why = {}) {
  if (!blank(value)) return std::nullopt;
  return error{std::string(builder) + ": " + std::string(field),
               "is empty" + (why.empty() ? std::string() : " (" + std::string(why) + ")"), ""};
}

/// Checks a list of requirements and returns the first failure.
[[nodiscard]] std::optional<error> first_of(std::initializer_list<std::optional<error>> checks) {
  for (const auto& check : checks) {
    if (check) return check;
  }
  return std::nullopt;
}

/// "2 of 5", or "2" without a cap; errors when the round is outside [1, max].
[[nodiscard]] result<std::string> round_label(std::string_view builder, std::string_view round_field, int round,
                                              std::string_view max_field, int max_rounds) {
  const std::string where = std::string(builder) + ": ";
  if (round < 1) return fail(where + std::string(round_field), std::to_string(round) + " is not >= 1");
  if (max_rounds < 0) return fail(where + std::string(max_field), std::to_string(max_rounds) + " is negative");
  if (max_rounds == 0) return std::to_string(round);
  if (round > max_rounds) {
    return fail(where + std::string(round_field),
                std::to_string(round) + " is over " + std::string(max_field) + " " + std::to_string(max_rounds),
                "pass the cycle's real cap; the round shown must be the real one");
  }
  return std::to_string(round) + " of " + std::to_string(max_rounds);
}

[[nodiscard]] result<std::string> hardware_hint(const prompt_library& lib, const std::string& target_gpu) {
  return partial(lib.render("hardware_hint", {{"target_gpu", prose(target_gpu, 200)}}));
}

/// The candidate format to show: the caller's, else the bundled one.
[[nodiscard]] result<std::string> code_format_or_default(const prompt_library& lib, const std::string& given) {
  if (!blank(given)) return given;
  return partial(candidate_format_text(lib));
}

/// The rendered performance_targets.md, or "" without targets.
[[nodiscard]] result<std::string> performance_targets(const prompt_library& lib, const std::string& targets) {
  if (blank(targets)) return std::string();
  return partial(lib.render("performance_targets", {{"baseline_targets", prose(targets, budget::baseline_targets)}}));
}

/// The rendered world_model_context.md, or "" without a view.
[[nodiscard]] result<std::string> world_model_context(const prompt_library& lib, const std::string& view) {
  if (blank(view)) return std::string();
  return partial(lib.render("world_model_context", {{"world_model_view", whole(view, budget::world_model_section)}}));
}

/// The values every code-generation prompt shares: the GPU and its hardware hint, the
/// specification, the candidate format and the performance targets.
[[nodiscard]] result<prompt_values> code_prompt_values(const prompt_library& lib, const std::string& target_gpu,
                                                       const std::string& definition_text, const std::string& code_format,
                                                       const std::string& baseline_targets) {
  auto hint = hardware_hint(lib, target_gpu);
  if (!hint) return std::unexpected(hint.error());
  auto format = code_format_or_default(lib, code_format);
  if (!format) return std::unexpected(format.error());
  auto targets = performance_targets(lib, baseline_targets);
  if (!targets) return std::unexpected(targets.error());
  return prompt_values{
      {"target_gpu", prose(target_gpu, 200)},
      {"hardware_hint", whole(*hint, unlimited)},
      {"definition_text", prose(definition_text, budget::definition_text)},
      {"code_format", whole(*format, unlimited)},
      {"performance_targets", whole(*targets, unlimited)},
  };
}

void append_limited(std::string& out, const std::vector<std::string_view>& lines, std::size_t limit) {
  const std::size_t keep = std::min(limit, lines.size());
  for (std::size_t i = 0; i < keep; ++i) {
    out.append(lines[i]);
    out += '\n';
  }
  if (lines.size() > keep) out += "... (" + std::to_string(lines.size() - keep) + " lines omitted) ...\n";
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string prompt_compaction::compact(std::string_view definition_text) const {
  constexpr std::array<std::string_view, 5> headers = {
      "Axes:", "Inputs:", "Outputs:", "Constraints:", "Reference Implementation:"};
  const std::vector<std::string_view> lines = split_lines(definition_text);
  auto is_header = [&](std::string_view line) { return std::ranges::find(headers, line) != headers.end(); };

  // 1. Split into the head and the sections, each without its blank edges.
  struct section {
    std::string_view header;
    std::vector<std::string_view> body;
  };
  std::vector<std::string_view> head;
  std::vector<section> sections;
  std::vector<std::string_view> notes;  // "## ..." sections after the reference, kept whole
  for (std::string_view line : lines) {
    const bool after_reference = !sections.empty() && sections.back().header == headers[4];
    if (!notes.empty() || (after_reference && line.starts_with("## "))) {
      notes.push_back(line);
    } else if (is_header(line)) {
      sections.push_back({line, {}});
    } else if (sections.empty()) {
      head.push_back(line);
    } else {
      sections.back().body.push_back(line);
    }
  }
  auto drop_blank_edges = [](std::vector<std::string_view>& body) {
    while (!body.empty() && blank(body.back())) body.pop_back();
    while (!body.empty() && blank(body.front())) body.erase(body.begin());
  };
  drop_blank_edges(head);
  for (section& s : sections) {
    // The reference keeps its leading indentation and inner blank lines; only trailing blanks go.
    if (s.header == headers[4]) {
      while (!s.body.empty() && blank(s.body.back())) s.body.pop_back();
    } else {
      drop_blank_edges(s.body);
    }
  }

  // 2. Reassemble with the limits.
  std::string out;
  if (sections.empty()) {
    append_limited(out, head, head_lines + reference_lines);
    return out;
  }
  append_limited(out, head, head_lines);
  for (const section& s : sections) {
    std::size_t limit = section_lines;
    if (s.header == "Constraints:") limit = constraint_lines;
    if (s.header == headers[4]) limit = reference_lines;
    out += '\n';
    out.append(s.header);
    out += '\n';
    append_limited(out, s.body, limit);
  }
  if (!notes.empty()) {
    out += '\n';
    append_limited(out, notes, notes.size());
  }
  return out;
}

result<std::string> candidate_format_text(const prompt_library& lib) { return lib.render("candidate_format", {}); }

// ---------------------------------------------------------------------------------------------

result<std::string> world_model_init_prompt(const prompt_library& lib, const world_model_init_inputs& in) {
  constexpr std::string_view me = "world_model_init_prompt";
  if (auto bad = first_of({require(me, "target_gpu", in.target_gpu), require(me, "language", in.language),
                           require(me, "definition_text", in.definition_text),
                           require(me, "schema_guide_json", in.schema_guide_json)})) {
    return std::unexpected(*bad);
  }
  if (blank(in.seed_code) && !blank(in.seed_summary)) {
    return fail(std::string(me) + ": seed_summary", "is given without seed_code",
                "pass the seed's code with its summary");
  }
  auto hint = hardware_hint(lib, in.target_gpu);
  if (!hint) return std::unexpected(hint.error());
  return lib.render("world_model_init", {
                                            {"target_gpu", prose(in.target_gpu, 200)},
                                            {"language", prose(in.language, 50)},
                                            {"hardware_hint", whole(*hint, unlimited)},
                                            {"definition_text", prose(in.definition_text, budget::definition_text)},
                                            {"schema_guide_json", whole(in.schema_guide_json, budget::schema_guide)},
                                            {"seed_code", code(in.seed_code, budget::code)},
                                            {"seed_summary", prose(in.seed_summary, budget::seed_summary)},
                                        });
}

result<std::string> world_model_edit_prompt(const prompt_library& lib, const world_model_edit_inputs& in) {
  constexpr std::string_view me = "world_model_edit_prompt";
  const bool needs_action = in.use != edit_use::propose;
  if (auto bad = first_of({
          require(me, "target_gpu", in.target_gpu),
          require(me, "language", in.language),
          require(me, "definition_text", in.definition_text),
          require(me, "world_model_view", in.world_model_view),
          needs_action
              ? require(me, "chosen_action", in.chosen_action, "refine and too_hard are about the chosen action")
              : std::nullopt,
          in.use == edit_use::refine
              ? require(me, "eval_json", in.eval_json, "refine needs the cycle best's evaluation")
              : std::nullopt,
      })) {
    return std::unexpected(*bad);
  }
  std::string debug_round;
  if (in.debug_round < 0) {
    return fail(std::string(me) + ": debug_round", std::to_string(in.debug_round) + " is negative");
  }
  if (in.debug_round > 0) {
    auto label = round_label(me, "debug_round", in.debug_round, "max_debug_rounds", in.max_debug_rounds);
    if (!label) return std::unexpected(label.error());
    debug_round = *label;
  }
  auto hint = hardware_hint(lib, in.target_gpu);
  if (!hint) return std::unexpected(hint.error());
  return lib.render(
      "world_model_edit",
      {
          {"use_propose", flag(in.use == edit_use::propose)},
          {"use_refine", flag(in.use == edit_use::refine)},
          {"use_too_hard", flag(in.use == edit_use::too_hard)},
          {"target_gpu", prose(in.target_gpu, 200)},
          {"language", prose(in.language, 50)},
          {"hardware_hint", whole(*hint, unlimited)},
          {"definition_text", prose(prompt_compaction{}.compact(in.definition_text), budget::definition_text)},
          {"world_model_view", whole(in.world_model_view, budget::edit_world_model_view)},
          {"status", prose(in.status, budget::edit_status)},
          {"frontier", prose(in.frontier, budget::edit_frontier)},
          {"tree_path", prose(in.tree_path, budget::edit_tree_path)},
          {"baseline_targets", prose(in.baseline_targets, budget::edit_baseline_targets)},
          {"chosen_action", prose(in.chosen_action, budget::edit_chosen_action)},
          {"prediction_json", prose(in.prediction_json, budget::edit_prediction_json)},
          {"eval_json", prose(in.eval_json, budget::edit_eval_json)},
          {"validation_errors", prose(in.validation_errors, budget::validation_errors)},
          {"debug_round", prose(debug_round, 100)},
          {"current_code", code(in.current_code, budget::code)},
      });
}

result<std::string> codegen_prompt(const prompt_library& lib, const codegen_inputs& in) {
  constexpr std::string_view me = "codegen_prompt";
  const bool later_attempt = in.mode == codegen_mode::debug || in.mode == codegen_mode::improve;
  if (auto bad = first_of({
          require(me, "target_gpu", in.target_gpu),
          require(me, "definition_text", in.definition_text),
          require(me, "action_block", in.action_block, "every mode implements the chosen action"),
          in.mode == codegen_mode::action ? require(me, "base_code", in.base_code,
                                                    "action mode builds on the parent's code; "
                                                    "without it use spec_action")
                                          : std::nullopt,
          in.mode == codegen_mode::improve ? require(me, "base_code", in.base_code, "improve mode shows the cycle best")
                                           : std::nullopt,
          later_attempt ? require(me, "current_code", in.current_code, "debug and improve revise the last attempt")
                        : std::nullopt,
      })) {
    return std::unexpected(*bad);
  }
  if (in.mode == codegen_mode::spec_action && !blank(in.base_code)) {
    return fail(std::string(me) + ": base_code", "is given in spec_action mode, which starts from the specification",
                "use action mode to build on base code");
  }
  auto values = code_prompt_values(lib, in.target_gpu, in.definition_text, in.code_format, in.baseline_targets);
  if (!values) return std::unexpected(values.error());
  auto world_model = world_model_context(lib, in.world_model_section);
  if (!world_model) return std::unexpected(world_model.error());

  values->emplace("base_code", code(in.base_code, budget::code));
  values->emplace("action_block", prose(in.action_block, budget::action_block));
  values->emplace("world_model_context", whole(*world_model, unlimited));
  if (!later_attempt) return lib.render("codegen_action", *values);

  auto round = round_label(me, "round", in.round, "max_rounds", in.max_rounds);
  if (!round) return std::unexpected(round.error());
  values->emplace("current_code", code(in.current_code, budget::code));
  values->emplace("perf_summary", prose(in.perf_summary, budget::perf_summary));
  values->emplace("failure_logs", code(in.failure_logs, budget::failure_logs));
  values->emplace("round", prose(*round, 100));
  return lib.render(in.mode == codegen_mode::debug ? "codegen_debug" : "codegen_improve", *values);
}

result<std::string> plain_generate_prompt(const prompt_library& lib, const plain_generate_inputs& in) {
  constexpr std::string_view me = "plain_generate_prompt";
  if (auto bad =
          first_of({require(me, "target_gpu", in.target_gpu), require(me, "definition_text", in.definition_text)})) {
    return std::unexpected(*bad);
  }
  auto values = code_prompt_values(lib, in.target_gpu, in.definition_text, in.code_format, in.baseline_targets);
  if (!values) return std::unexpected(values.error());
  return lib.render("plain_generate", *values);
}

result<std::string> plain_optimize_prompt(const prompt_library& lib, const plain_optimize_inputs& in) {
  constexpr std::string_view me = "plain_optimize_prompt";
  if (auto bad =
          first_of({require(me, "target_gpu", in.target_gpu), require(me, "definition_text", in.definition_text),
                    require(me, "current_code", in.current_code, "the optimize prompt revises the last candidate")})) {
    return std::unexpected(*bad);
  }
  if (blank(in.best_code) && !blank(in.best_summary)) {
    return fail(std::string(me) + ": best_summary", "is given without best_code",
                "pass the best code with its summary");
  }
  auto values = code_prompt_values(lib, in.target_gpu, in.definition_text, in.code_format, in.baseline_targets);
  if (!values) return std::unexpected(values.error());
  values->emplace("current_code", code(in.current_code, budget::code));
  values->emplace("trace_logs", code(in.trace_logs, budget::failure_logs));
  values->emplace("best_code", code(in.best_code, budget::code));
  values->emplace("best_summary", prose(in.best_summary, budget::perf_summary));
  values->emplace("last_round_summary", prose(in.last_round_summary, budget::round_summary));
  return lib.render("plain_optimize", *values);
}

}  // namespace ksearch::search
