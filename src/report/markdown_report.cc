#include "ksearch/report/markdown_report.h"

#include "ksearch/common/known_sum.h"
#include "ksearch/report/format.h"
#include "ksearch/report/tree_layout.h"

namespace ksearch::report {

namespace {

std::string cell(std::string_view text) { return escape_markdown_cell(text); }

std::string row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string or_unknown(const std::string& text) { return text.empty() ? "unknown" : text; }

std::string summary(const run_data& run) {
  const run_info& info = run.info;
  const std::string name = info.definition.empty() ? run.dir.filename().string() : info.definition;
  std::string out = "# ksearch run: " + cell(name) + "\n\n";
  std::string task = (info.backend.empty() ? std::string() : info.backend + " / ") + name;
  if (!info.reference_solution.empty()) task += ", reference " + info.reference_solution;
  if (!info.workloads.empty()) task += ", " + std::to_string(info.workloads.size()) + " workloads";
  out += "- task: " + cell(task) + "\n";
  out += "- model: " + cell(or_unknown(info.model) + (info.base_url.empty() ? "" : " at " + info.base_url)) + "\n";
  const std::string gpu = !info.gpu.empty() ? info.gpu
                          : info.target_gpu.empty() ? std::string("unknown")
                                                    : info.target_gpu + " (--target-gpu; the device is not recorded)";
  out += "- GPU: " + cell(gpu) + "\n";
  std::string search = !info.world_model ? "unknown" : (*info.world_model ? "world model" : "plain loop");
  search += ", " + std::to_string(run.last_round()) + (info.max_rounds > 0 ? " of " + std::to_string(info.max_rounds) : std::string()) +
            " rounds";
  if (info.sessions > 0) search += ", " + std::to_string(info.sessions) + " session" + (info.sessions > 1 ? "s" : "");
  if (!info.started.empty()) search += ", started " + info.started;
  out += "- search: " + cell(search) + "\n";
  out += "- stop: " + cell(run.stop_summary()) + "\n";
  if (run.best) {
    const best_candidate& b = *run.best;
    std::string best = "score " + (b.score ? format_number(*b.score, 4) : std::string("-")) +
                       (b.score_name.empty() ? "" : " (" + b.score_name + ")") + " at round " + std::to_string(b.round);
    if (!b.node_id.empty()) best += ", node " + b.node_id;
    best += ", " + format_ms(b.latency_ms) + " against " + format_ms(b.reference_latency_ms) + " for the reference";
    best += ", solution " + b.solution_name;
    out += "- best: " + cell(best) + "\n";
  } else {
    out += "- best: none (no round passed)\n";
  }
  out += "- run folder: " + cell(run.dir.string()) + "\n";
  return out;
}

std::string rounds_table(const run_data& run) {
  std::string out = "\n## Rounds\n\n";
  out += row({"round", "node", "prompt", "status", "latency", "score", "best", "tokens", "cost", "note"});
  out += "|---:|---|---|---|---:|---:|---:|---:|---:|---|\n";
  for (const round_row& r : run.rounds) {
    std::string note;
    if (r.reused_from_round >= 0) note = "same as round " + std::to_string(r.reused_from_round);
    if (!r.passed && !r.feedback.empty()) note = truncate_text(r.feedback.substr(0, r.feedback.find('\n')), 90);
    if (run.best && r.kind == "round" && r.round == run.best->round) note = "best" + (note.empty() ? "" : "; " + note);
    out += row({r.kind == "seed" ? std::string("seed") : std::to_string(r.round), cell(r.node_id.empty() ? "-" : r.node_id),
                cell(r.prompt_kind), cell(std::string(tasks::to_string(r.status))), format_ms(r.latency_ms), r.score ? format_number(*r.score, 4) : "-",
                r.best_score ? format_number(*r.best_score, 4) : "-", format_count(known_sum(r.prompt_tokens, r.completion_tokens)),
                format_usd(r.cost_usd), cell(note)});
  }
  return out;
}

std::string status_table(const run_data& run) {
  std::string out = "\n## Status counts\n\n" + row({"status", "rounds", "which"}) + "|---|---:|---|\n";
  for (const status_count& c : run.status_counts()) {
    std::string which;
    for (const int r : c.round_numbers) which += (which.empty() ? "" : ", ") + std::to_string(r);
    out += row({cell(std::string(tasks::to_string(c.status))), std::to_string(c.rounds), which});
  }
  return out;
}

std::string workloads_table(const run_data& run) {
  if (!run.best || run.best->workloads.empty()) return {};
  std::string out = "\n## Best solution per workload\n\n";
  out += row({"workload", "status", "latency", "reference", "speedup", "max abs err", "max rel err"});
  out += "|---|---|---:|---:|---:|---:|---:|\n";
  auto number = [](const std::optional<double>& v) { return v ? format_number(*v, 3) : std::string("-"); };
  for (const workload_row& w : run.best->workloads) {
    out += row({cell(w.uuid), cell(std::string(tasks::to_string(w.status))), format_ms(w.latency_ms), format_ms(w.reference_latency_ms),
                format_speedup(w.speedup_factor), number(w.max_absolute_error), number(w.max_relative_error)});
  }
  return out;
}

std::string usage_table(const run_data& run) {
  std::string out = "\n## Tokens and cost\n\n";
  out += row({"LLM calls", "calls", "prompt", "completion", "reasoning", "cost"}) + "|---|---:|---:|---:|---:|---:|\n";
  const usage_totals rounds = run.round_usage();
  out += row({"rounds (solutions.jsonl)", std::to_string(rounds.calls), format_count(rounds.prompt_tokens),
              format_count(rounds.completion_tokens), format_count(rounds.reasoning_tokens), format_usd(rounds.cost_usd)});
  for (const llm_purpose_usage& u : run.llm_usage) {
    out += row({cell(u.purpose) + (u.failed > 0 ? " (" + std::to_string(u.failed) + " failed)" : ""), std::to_string(u.calls),
                format_count(u.prompt_tokens), format_count(u.completion_tokens), format_count(u.reasoning_tokens),
                format_usd(u.cost_usd)});
  }
  if (!run.llm_usage.empty()) {
    const llm_purpose_usage all = run.all_llm_usage();
    out += row({"**" + all.purpose + "**", std::to_string(all.calls), format_count(all.prompt_tokens), format_count(all.completion_tokens),
                format_count(all.reasoning_tokens), format_usd(all.cost_usd)});
  }
  return out;
}

std::string world_model_list(const run_data& run) {
  if (!run.world_model) return {};
  const worldmodel::world_model& model = *run.world_model;
  std::string out = "\n## World model\n\n";
  std::string path;
  for (const worldmodel::node* n : model.path_to(model.active_leaf_id)) path += (path.empty() ? "" : " -> ") + n->node_id;
  out += "Chosen path (root to the active leaf): " + cell(path) + "\n\n";
  out += row({"node", "parent", "state", "action", "result"}) + "|---|---|---|---|---|\n";
  for (const worldmodel::node& n : model.nodes) {
    const node_state state = state_of(n);
    std::string result;
    if (state == node_state::solved) {
      result = "round " + (n.solution.round_index ? std::to_string(*n.solution.round_index) : std::string("?"));
      if (auto score = worldmodel::eval_score(n.solution.eval)) result += ", score " + format_number(*score, 4);
    } else {
      result = n.outcome_reason;
    }
    out += row({cell(n.node_id), cell(n.parent_id.value_or("-")), std::string(to_string(state)),
                cell(n.action.title.empty() ? n.choice.value_or("") : n.action.title), cell(result)});
  }
  return out;
}

std::string warnings_list(const run_data& run) {
  if (run.warnings.empty()) return {};
  std::string out = "\n## Warnings\n\n";
  for (const std::string& w : run.warnings) out += "- " + cell(w) + "\n";
  return out;
}

}  // namespace

std::string render_markdown_report(const run_data& run) {
  return summary(run) + rounds_table(run) + status_table(run) + workloads_table(run) + usage_table(run) +
         world_model_list(run) + warnings_list(run);
}

}  // namespace ksearch::report
