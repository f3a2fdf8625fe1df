// The world-model search (search_loop.h). Structure: a cycle_state per chosen node, replayable from
// its round records; the cycle start (propose + choose) and end (attach + refine, or failed +
// too-hard) are the only places the tree changes, and each ends with a snapshot.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"
#include "ksearch/search/candidate_reply.h"
#include "ksearch/search/prompts.h"
#include "ksearch/search/search_loop.h"
#include "ksearch/store/durable_file.h"
#include "ksearch/worldmodel/edit_ops.h"
#include "ksearch/worldmodel/mutations.h"
#include "ksearch/worldmodel/selection.h"
#include "ksearch/worldmodel/views.h"
#include "ksearch/worldmodel/world_model_json.h"

namespace ksearch::search {

namespace {

namespace wm = worldmodel;

// The world model shown in edit prompts, and (smaller than the prompt's 50 KB ceiling, so the
// code and the feedback dominate) in code-generation prompts [chars].
constexpr std::size_t view_budget = prompt_budget::edit_world_model_view;
constexpr std::size_t codegen_view_budget = 12'000;

// What a cycle knows about its rounds; rebuilt from the records on resume.
struct cycle_state {
  std::string node_id;
  int start_round = 0;
  int rounds = 0;
  std::optional<round_record> best;   // the cycle's best passed round
  std::optional<round_record> last;   // the cycle's last round
  std::string current_code;           // the last candidate's code ("" when none came out)
  int no_improve = 0;                 // rounds in a row that did not beat the cycle best
  int no_improve_over_base = 0;       // rounds in a row, after a pass, with the cycle best not above the base

  void add(const round_record& r, double base_score) {
    ++rounds;
    if (r.solution) current_code = code_view_for_prompt(*r.solution);
    last = r;
    if (r.score() && (!best || *r.score() > *best->score())) {
      best = r;
      no_improve = 0;
    } else {
      ++no_improve;
    }
    if (best && base_score > 0) no_improve_over_base = *best->score() > base_score ? 0 : no_improve_over_base + 1;
  }

  // The samples of one prompt, in the order recorded; the next prompt shows their best (or last)
  // candidate as the last attempt.
  void add_batch(const std::vector<round_record>& batch, double base_score) {
    for (const round_record& r : batch) add(r, base_score);
    if (const round_record* next_base = batch_representative(batch)) {
      last = *next_base;
      current_code = code_view_for_prompt(*next_base->solution);
    }
  }
};

json cycle_json(const cycle_state& c, const std::string& phase) {
  return {{"version", 1}, {"mode", "world_model"}, {"cycle", {{"node_id", c.node_id}, {"start_round", c.start_round}, {"phase", phase}}}};
}

class world_model_search {
 public:
  world_model_search(search_services& s, const search_settings& settings) : s_(s), settings_(settings) {}

  result<search_summary> run() {
    auto rounds = s_.store.load_rounds();
    if (!rounds) return std::unexpected(rounds.error());
    for (const std::string& w : rounds->warnings) spdlog::warn("{}", w);
    next_round_ = rounds->last_round() + 1;

    if (auto ready = load_or_init(); !ready) return std::unexpected(ready.error());

    // A cycle that was running when the last session stopped goes on from its records.
    auto state = s_.store.load_state();
    if (!state) return std::unexpected(state.error());
    std::optional<cycle_state> cycle;
    const json* saved_cycle = *state && (*state)->contains("cycle") && (**state)["cycle"].is_object() ? &(**state)["cycle"] : nullptr;
    if (saved_cycle != nullptr && saved_cycle->value("phase", "") == "running") {
      const json& c = *saved_cycle;
      cycle = cycle_state{.node_id = c.value("node_id", ""), .start_round = c.value("start_round", 0)};
      if (model_.find(cycle->node_id) == nullptr) {
        spdlog::warn("state.json names node '{}', which the world model does not have; starting a new cycle", cycle->node_id);
        cycle.reset();
      } else {
        const double base = base_score(cycle->node_id);
        std::vector<round_record> batch;
        for (const round_record& r : rounds->records) {
          if (r.kind != "round" || r.node_id != cycle->node_id || r.round < cycle->start_round) continue;
          if (!batch.empty() && r.prompt_round != batch.front().prompt_round) {
            cycle->add_batch(batch, base);
            batch.clear();
          }
          batch.push_back(r);
        }
        cycle->add_batch(batch, base);
        spdlog::info("resuming the cycle on {} at round {} ({} rounds done in it)", cycle->node_id, next_round_, cycle->rounds);
      }
    }

    search_summary summary;
    while (true) {
      if (!cycle) {
        if (next_round_ > settings_.max_rounds || stopped_) break;
        auto started = start_cycle();
        if (!started) return std::unexpected(started.error());
        if (!*started) {
          if (stop_reason_.empty()) stop_reason_ = "no executable action is left in the world model";
          break;
        }
        cycle = **started;
      }
      auto ran = run_cycle(*cycle, summary);
      if (!ran) return std::unexpected(ran.error());
      if (cycle_over(*cycle) && !stopped_) {
        if (auto ended = end_cycle(*cycle); !ended) return std::unexpected(ended.error());
        cycle.reset();
        continue;
      }
      // The budget ran out (or the LLM stopped us) inside the cycle: it stays "running" for a
      // resume, but its best so far goes on the node now, so the snapshot shows it.
      if (cycle->best) {
        attach_best(*cycle);
        if (auto saved = save(); !saved) return std::unexpected(saved.error());
      }
      break;
    }
    if (summary.stop_reason.empty()) summary.stop_reason = stop_reason_.empty() ? "round budget spent" : stop_reason_;
    summary.fatal = fatal_;
    summary.last_round = next_round_ - 1;
    return summary;
  }

 private:
  // ---- the tree: load, init, save ---------------------------------------------------------------

  result<void> load_or_init() {
    std::filesystem::path file = settings_.world_model_file;
    std::error_code ec;
    if (file.empty() && std::filesystem::exists(s_.store.world_model_path(), ec)) file = s_.store.world_model_path();
    if (!file.empty()) {
      auto text = store::read_file(file);
      if (!text) return std::unexpected(text.error());
      json doc;
      try {
        doc = json::parse(*text);
      } catch (const json::parse_error& e) {
        return fail(file.string(), std::string("not valid JSON: ") + e.what(), "pass another snapshot or start a new run");
      }
      wm::repair_report report;
      auto loaded = wm::world_model_from_json(doc, report);
      if (!loaded) return fail(file.string() + ": " + loaded.error().subject, loaded.error().problem);
      for (const std::string& repair : report.repairs) spdlog::warn("{}: {}", file.string(), repair);
      model_ = std::move(*loaded);
      spdlog::info("world model loaded from {} ({} nodes)", file.string(), model_.nodes.size());
    } else {
      init();
    }
    // A seed solution recorded by the caller goes on the root, whose code then bases root actions.
    if (const wm::node* root = model_.root(); root != nullptr && !root->is_solved()) {
      if (const round_record* seed = s_.runner.find_seed()) {
        wm::attach_solution(model_, model_.root_id, seed->solution_id, seed->solution ? seed->solution->name : "",
                            seed->evaluation.summary_json(), 0);
      }
    }
    return save();
  }

  void init() {
    model_ = wm::empty_world_model();
    world_model_init_inputs in{.target_gpu = settings_.target_gpu,
                               .language = settings_.language,
                               .definition_text = s_.task.definition_text(),
                               .schema_guide_json = wm::schema_guide_json()};
    if (const round_record* seed = s_.runner.find_seed(); seed != nullptr && seed->solution) {
      in.seed_code = code_view_for_prompt(*seed->solution);
      in.seed_summary = seed->evaluation.perf_summary("seed");
    }
    auto prompt = world_model_init_prompt(s_.prompts, in);
    if (!prompt) {
      spdlog::error("world-model init prompt: {}", prompt.error().to_string());
      return;
    }
    std::vector<llm::chat_message> conversation{{"user", *prompt}};
    for (int attempt = 1; attempt <= settings_.edit_attempts; ++attempt) {
      round_usage usage;
      call_outcome reply = ask(conversation, "wm_init", attempt, usage);
      s_.runner.add_usage(usage);
      if (!reply.ok()) {
        note_failure(reply, "world-model init");
        return;
      }
      wm::repair_report report;
      auto parsed = wm::parse_init_reply(reply.text, report);
      if (parsed) {
        model_ = std::move(*parsed);
        for (const std::string& repair : report.repairs) spdlog::debug("init reply repaired: {}", repair);
        wm::embed_reference_excerpt(model_, s_.task.definition_text());
        spdlog::info("world model initialised ({} nodes)", model_.nodes.size());
        return;
      }
      spdlog::warn("world-model init reply {} unusable: {}", attempt, parsed.error().to_string());
      conversation.push_back({"assistant", reply.text});
      conversation.push_back({"user", "That reply could not be used: " + parsed.error().to_string() +
                                          "\nReply again with the whole world model as one JSON object, nothing else."});
    }
    spdlog::warn("no usable world model from the LLM; starting from an empty tree");
  }

  result<void> save() { return s_.store.save_world_model(wm::to_json(model_)); }

  // A world-model call, reported as a step while it lasts.
  call_outcome ask(const std::vector<llm::chat_message>& conversation, const std::string& purpose, int attempt,
                   round_usage& usage) {
    std::string what = "world model: waiting for the LLM (" + purpose;
    if (attempt > 1) what += ", reply " + std::to_string(attempt) + "/" + std::to_string(settings_.edit_attempts);
    const activity_step step(s_.runner.activity(), what + ")");
    return s_.llm.ask(conversation, purpose, usage);
  }

  void note_failure(const call_outcome& reply, const std::string& step) {
    spdlog::warn("{}: {}", step, reply.problem);
    if (reply.failure == call_failure::pause || reply.failure == call_failure::stop ||
        reply.failure == call_failure::fatal) {
      stopped_ = true;
      fatal_ = reply.failure == call_failure::fatal;
      stop_reason_ = reply.problem;
    }
  }

  // ---- evidence about nodes ----------------------------------------------------------------------

  double base_score(const std::string& node_id) const {
    const wm::node* n = model_.find(node_id);
    if (n == nullptr || !n->parent_id) return -1;
    const wm::node* parent = model_.find(*n->parent_id);
    if (parent == nullptr || !parent->is_solved()) return -1;
    return wm::eval_score(parent->solution.eval).value_or(-1);
  }

  std::string base_code(const std::string& node_id) const {
    const wm::node* n = model_.find(node_id);
    if (n == nullptr || !n->parent_id) return {};
    const wm::node* parent = model_.find(*n->parent_id);
    if (parent == nullptr || !parent->is_solved()) return {};
    const round_record* r = s_.runner.find_solution(*parent->solution.solution_id);
    return r != nullptr && r->solution ? code_view_for_prompt(*r->solution) : std::string();
  }

  std::string prediction_json(const std::string& node_id) const {
    const wm::node* n = model_.find(node_id);
    if (n == nullptr || !n->action.expected_vs_baseline_factor) return {};
    return json{{"expected_vs_baseline_factor", *n->action.expected_vs_baseline_factor},
                {"rationale", n->action.rationale}}.dump();
  }

  // ---- a world-model edit call (propose / refine / too-hard) --------------------------------------

  // Asks for an edit script up to edit_attempts times. Each attempt starts from `before` (edits
  // never stack, unlike K-Search's); `accept` judges a candidate tree and returns its problems. The first
  // accepted tree is returned; when none is, the last parsed one if `keep_last`, else nullopt.
  // Ops the tree could not take (skipped or stripped ones) are reported back in one re-ask, never
  // dropped in silence; if that re-ask brings nothing acceptable, the first accepted tree stands.
  std::optional<wm::world_model> edit(world_model_edit_inputs in, const wm::world_model& before,
                                      const std::function<std::vector<std::string>(const wm::world_model&, const wm::edit_report&)>& accept,
                                      bool keep_last, const char* purpose) {
    std::optional<wm::world_model> last_parsed;
    std::optional<wm::world_model> accepted;  // accepted, but some of its ops were not applied
    for (int attempt = 1; attempt <= settings_.edit_attempts && !stopped_; ++attempt) {
      auto prompt = world_model_edit_prompt(s_.prompts, in);
      if (!prompt) {
        spdlog::error("{} prompt: {}", purpose, prompt.error().to_string());
        return std::nullopt;
      }
      round_usage usage;
      call_outcome reply = ask({{"user", *prompt}}, purpose, attempt, usage);
      s_.runner.add_usage(usage);
      if (!reply.ok()) {
        note_failure(reply, purpose);
        break;
      }
      auto script = wm::parse_edit_script(reply.text);
      if (!script) {
        in.validation_errors = script.error().to_string();
        spdlog::warn("{} reply {} unusable: {}", purpose, attempt, in.validation_errors);
        continue;
      }
      wm::world_model candidate = before;
      const wm::edit_report report = wm::apply_edit_script(candidate, *script, {s_.task.name(), next_round_, 3});
      spdlog::info("[WM] {} edits: {}", purpose, report.summary());
      const std::vector<std::string> problems = accept(candidate, report);
      if (problems.empty()) {
        const std::vector<std::string> dropped = ops_not_applied(report);
        if (dropped.empty() || accepted) return candidate;
        in.validation_errors = "Your edits were applied except these; reply again with the whole op list, these "
                               "fixed or left out:\n";
        for (const std::string& d : dropped) in.validation_errors += "- " + d + "\n";
        spdlog::warn("{} attempt {}: ops not applied, asking once more:\n{}", purpose, attempt, in.validation_errors);
        accepted = std::move(candidate);
        continue;
      }
      in.validation_errors.clear();
      for (const std::string& p : problems) in.validation_errors += "- " + p + "\n";
      spdlog::warn("{} attempt {} rejected:\n{}", purpose, attempt, in.validation_errors);
      last_parsed = std::move(candidate);
    }
    if (accepted) return accepted;
    return keep_last ? last_parsed : std::nullopt;
  }

  // What an edit reply asked for that the tree did not take. (An empty list where proposals were
  // asked for leaves the frontier unhealthy, which propose's own check already rejects.)
  static std::vector<std::string> ops_not_applied(const wm::edit_report& report) {
    std::vector<std::string> out = report.skipped;
    out.insert(out.end(), report.adjusted.begin(), report.adjusted.end());
    return out;
  }

  world_model_edit_inputs edit_inputs(edit_use use) const {
    return {.use = use,
            .target_gpu = settings_.target_gpu,
            .language = settings_.language,
            .definition_text = s_.task.definition_text(),
            .world_model_view = wm::compact_view_json(model_, view_budget),
            .frontier = wm::frontier_text(model_, 10),
            .tree_path = wm::path_text(model_, model_.active_leaf_id),
            .baseline_targets = s_.task.baseline_targets_text()};
  }

  // ---- cycle start -------------------------------------------------------------------------------

  void propose() {
    if (wm::frontier_is_healthy(model_)) return;
    world_model_edit_inputs in = edit_inputs(edit_use::propose);
    in.status = "Requirement: leave at least one executable OPEN action (its parent is the root or a solved node) "
                "with score_0_to_1 > 0.5: concrete, and implementable in one round.";
    const wm::node* best = wm::best_node(model_);
    if (best != nullptr) in.status += " The best solved node is " + best->node_id + ": make sure it has an OPEN child action.";
    in.current_code = best_code();
    const auto has_good_action = [](const wm::world_model& m, const wm::edit_report&) {
      for (const wm::node* n : wm::frontier(m)) {
        if (n->action.score_0_to_1 > 0.5) return std::vector<std::string>{};
      }
      return std::vector<std::string>{"no executable OPEN action has score_0_to_1 > 0.5"};
    };
    if (auto edited = edit(in, model_, has_good_action, /*keep_last=*/true, "wm_propose")) model_ = std::move(*edited);
    wm::ensure_best_continuation(model_, {s_.task.name(), next_round_, 3});
  }

  // True when the node's action says to write the kernel anew ("from scratch").
  bool asks_to_start_over(const std::string& node_id) const {
    const wm::node* n = model_.find(node_id);
    if (n == nullptr) return false;
    return to_lower(n->action.title + "\n" + n->action.description).find("from scratch") != std::string::npos;
  }

  std::string best_code() const {
    const auto& best = s_.runner.best();
    return best && best->solution ? code_view_for_prompt(*best->solution) : std::string();
  }

  // Returns the new cycle, nullopt when nothing can be chosen, or an error when a file cannot be written.
  result<std::optional<cycle_state>> start_cycle() {
    propose();
    if (stopped_) return std::optional<cycle_state>();
    wm::selection_policy policy;
    if (settings_.max_difficulty) {
      policy.max_difficulty = *settings_.max_difficulty;
      policy.relax_when_good = false;
    }
    std::optional<std::string> chosen = wm::choose_next_action(model_, policy);
    if (!chosen) {
      // An empty frontier must not end a search that has rounds left: start from the specification.
      spdlog::warn("no executable action in the world model; adding a from-the-specification action under the root");
      wm::edit_script fallback;
      fallback.ops = json::array({{{"op", "insert_node"},
                                   {"parent_id", model_.root_id},
                                   {"node",
                                    {{"decision", "Baseline"},
                                     {"choice", "A correct kernel from the specification"},
                                     {"notes", "AUTO_FALLBACK: the world model had no executable action."},
                                     {"action",
                                      {{"title", "Write a correct, straightforward kernel from the specification"},
                                       {"description", "Implement the definition directly, with coalesced memory access and "
                                                       "fp32 accumulation; correctness first."},
                                       {"difficulty_1_to_5", 2},
                                       {"score_0_to_1", 0.5}}}}}}});
      (void)wm::apply_edit_script(model_, fallback, {s_.task.name(), next_round_, 1});
      chosen = wm::choose_next_action(model_, policy);
      if (!chosen) return std::optional<cycle_state>();
    }
    model_.active_leaf_id = *chosen;
    wm::record_attempt(model_, *chosen, next_round_);
    const wm::node* n = model_.find(*chosen);
    spdlog::info("[WM] cycle at round {}: {} \"{}\" (score {:.2f}, difficulty {})", next_round_, *chosen, n->action.title,
                 n->action.score_0_to_1, n->action.difficulty_1_to_5);
    cycle_state cycle{.node_id = *chosen, .start_round = next_round_};
    if (auto saved = save(); !saved) return std::unexpected(saved.error());
    if (auto saved = s_.store.save_state(cycle_json(cycle, "running")); !saved) return std::unexpected(saved.error());
    return std::optional<cycle_state>(cycle);
  }

  // ---- the rounds of a cycle ---------------------------------------------------------------------

  bool cycle_over(const cycle_state& c) const {
    const int window = std::max(1, settings_.stagnation_window);
    if (c.no_improve >= window || c.no_improve_over_base >= window) return true;
    return settings_.max_cycle_rounds > 0 && c.rounds >= settings_.max_cycle_rounds;
  }

  // The most rounds cycle `c` can have: its cycle cap, or fewer when the run's budget ends first,
  // so a round label never promises rounds the run will not give.
  int cycle_cap(const cycle_state& c) const {
    const int possible = c.rounds + std::max(0, settings_.max_rounds - next_round_ + 1);
    return settings_.max_cycle_rounds > 0 ? std::min(settings_.max_cycle_rounds, possible) : possible;
  }

  result<std::string> codegen_prompt_for(const cycle_state& c, codegen_mode& mode) const {
    const std::string base = base_code(c.node_id);
    const double base_score_value = base_score(c.node_id);
    codegen_inputs in{.target_gpu = settings_.target_gpu,
                      .definition_text = s_.task.definition_text(),
                      .action_block = wm::chosen_action_block(model_, c.node_id),
                      .round = c.rounds + 1,
                      .max_rounds = cycle_cap(c),
                      .world_model_section = wm::compact_view_json(model_, codegen_view_budget),
                      .baseline_targets = s_.task.baseline_targets_text()};
    if (c.rounds == 0) {
      // From the parent's solution; without one, from the best code so far rather than from
      // nothing, unless the action asks to start over.
      in.base_code = base.empty() && !asks_to_start_over(c.node_id) ? best_code() : base;
      mode = in.base_code.empty() ? codegen_mode::spec_action : codegen_mode::action;
    } else {
      mode = c.best ? codegen_mode::improve : codegen_mode::debug;
      // The base shown: the cycle best once it beats the parent, else the parent's code.
      const bool best_beats_base = c.best && (base_score_value <= 0 || *c.best->score() > base_score_value);
      in.base_code = best_beats_base && c.best->solution ? code_view_for_prompt(*c.best->solution) : base;
      if (mode == codegen_mode::improve && in.base_code.empty() && c.best->solution) {
        in.base_code = code_view_for_prompt(*c.best->solution);
      }
      in.current_code = c.current_code.empty() ? in.base_code : c.current_code;
      if (in.current_code.empty()) mode = codegen_mode::spec_action;  // nothing was ever produced
      if (c.last) {
        in.perf_summary = c.last->evaluation.perf_summary("last_attempt");
        if (c.best) in.perf_summary += c.best->evaluation.perf_summary("cycle_best");
        if (c.last->evaluation.status == tasks::evaluation_status::compiled) {
          // Compiled and not run (compile-only mode): nothing failed, so nothing goes under "Failure logs".
          in.perf_summary += "last_attempt " + c.last->evaluation.feedback + "\n";
        } else if (!c.last->passed()) {
          in.failure_logs = c.last->evaluation.status_name() + ": " + c.last->evaluation.feedback;
        }
      }
    }
    in.mode = mode;
    return codegen_prompt(s_.prompts, in);
  }

  result<void> run_cycle(cycle_state& c, search_summary& summary) {
    const double base = base_score(c.node_id);
    while (next_round_ <= settings_.max_rounds && !cycle_over(c) && !stopped_) {
      codegen_mode mode = codegen_mode::action;
      auto prompt = codegen_prompt_for(c, mode);
      if (!prompt) return std::unexpected(prompt.error());
      static constexpr const char* mode_names[] = {"action", "spec_action", "debug", "improve"};
      // A batch never runs past the round budget or the cycle's cap.
      int samples = std::min(settings_.samples_per_round, settings_.max_rounds - next_round_ + 1);
      if (settings_.max_cycle_rounds > 0) samples = std::min(samples, settings_.max_cycle_rounds - c.rounds);
      round_plan plan{.round = next_round_,
                      .samples = samples,
                      .node_id = c.node_id,
                      .cycle_start_round = c.start_round,
                      .prompt_kind = mode_names[static_cast<int>(mode)],
                      .prompt = std::move(*prompt)};
      auto outcome = s_.runner.run(plan);
      if (!outcome) return std::unexpected(outcome.error());
      if (summary.first_round == 0) summary.first_round = next_round_;
      next_round_ += static_cast<int>(outcome->records.size());
      c.add_batch(outcome->records, base);
      if (outcome->stop != call_failure::none) {
        stopped_ = true;
        fatal_ = outcome->stop == call_failure::fatal;
        stop_reason_ = outcome->stop_reason;
      }
    }
    return {};
  }

  // ---- cycle end ---------------------------------------------------------------------------------

  result<void> end_cycle(const cycle_state& c) {
    if (c.rounds == 0) return {};  // stopped before its first round: the next session starts it again
    const int last_round = next_round_ - 1;
    const wm::node* node = model_.find(c.node_id);
    if (node == nullptr) return {};
    if (c.best) {
      const round_record& best = *c.best;
      attach_best(c);
      refine(c);
      wm::ensure_continuation(model_, c.node_id, {s_.task.name(), last_round, 3});
      const evaluation_outcome& e = best.evaluation;
      wm::merge_computed_signals(model_, best.round, {e.status_name(), e.latency_ms, e.reference_latency_ms, e.speedup_factor, std::nullopt});
    } else if (c.last && c.last->evaluation.status == tasks::evaluation_status::compiled) {
      // Compile-only mode runs nothing, so it cannot judge the action: the node is left open.
      spdlog::info("cycle on {}: compiled, not run (compile-only mode); the action is not judged", c.node_id);
      wm::merge_computed_signals(model_, c.last->round, {c.last->evaluation.status_name(), std::nullopt, std::nullopt,
                                                         std::nullopt, std::nullopt});
    } else {
      const std::string reason = c.last ? c.last->evaluation.status_name() : "no round";
      wm::mark_outcome(model_, c.node_id, wm::node_outcome::failed,
                       "no passing candidate in " + std::to_string(c.rounds) + " rounds (last: " + reason + ")", last_round);
      too_hard(c);
      if (c.last) {
        wm::merge_computed_signals(model_, c.last->round, {c.last->evaluation.status_name(), std::nullopt, std::nullopt, std::nullopt, std::nullopt});
      }
    }
    if (auto saved = save(); !saved) return saved;
    return s_.store.save_state(cycle_json(c, "ended"));
  }

  void attach_best(const cycle_state& c) {
    const round_record& best = *c.best;
    wm::attach_solution(model_, c.node_id, best.solution_id, best.solution ? best.solution->name : "",
                        best.evaluation.summary_json(), best.round);
  }

  void refine(const cycle_state& c) {
    world_model_edit_inputs in = edit_inputs(edit_use::refine);
    in.baseline_targets.clear();  // as the original: the refine prompt has no targets
    in.status = wm::status_text(model_);
    in.chosen_action = wm::chosen_action_block(model_, c.node_id);
    in.prediction_json = prediction_json(c.node_id);
    in.eval_json = c.best->evaluation.summary_json().dump();
    in.current_code = c.best->solution ? code_view_for_prompt(*c.best->solution) : std::string();
    const wm::world_model before = model_;
    const std::string solved = c.node_id;
    auto valid = [&before, &solved](const wm::world_model& after, const wm::edit_report& report) {
      return wm::check_refine(before, after, solved, report);
    };
    if (auto edited = edit(in, before, valid, /*keep_last=*/false, "wm_refine")) {
      model_ = std::move(*edited);
    } else {
      spdlog::warn("[WM] no valid refine edit; the tree keeps its beliefs and gets a fallback continuation");
    }
  }

  void too_hard(const cycle_state& c) {
    world_model_edit_inputs in = edit_inputs(edit_use::too_hard);
    in.chosen_action = wm::chosen_action_block(model_, c.node_id);
    if (c.last) in.eval_json = c.last->evaluation.summary_json().dump() + "\nfeedback: " + c.last->evaluation.feedback;
    in.current_code = c.current_code;
    in.debug_round = c.rounds;
    in.max_debug_rounds = cycle_cap(c);
    const auto anything = [](const wm::world_model&, const wm::edit_report&) { return std::vector<std::string>{}; };
    if (auto edited = edit(in, model_, anything, /*keep_last=*/false, "wm_too_hard")) {
      // The LLM's edits update beliefs; the node stays FAILED whatever they say
      // (docs/k-search-compatibility.md, "Failed actions are marked").
      model_ = std::move(*edited);
      if (model_.find(c.node_id) != nullptr && model_.find(c.node_id)->outcome == wm::node_outcome::none) {
        wm::mark_outcome(model_, c.node_id, wm::node_outcome::failed, "no passing candidate", next_round_ - 1);
      }
    }
  }

  search_services& s_;
  const search_settings& settings_;
  wm::world_model model_;
  int next_round_ = 1;
  bool stopped_ = false;
  bool fatal_ = false;
  std::string stop_reason_;
};

}  // namespace

result<search_summary> run_world_model_search(search_services& services, const search_settings& settings) {
  return world_model_search(services, settings).run();
}

}  // namespace ksearch::search
