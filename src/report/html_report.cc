#include "ksearch/report/html_report.h"

#include <cmath>

#include "ksearch/common/json.h"
#include "ksearch/common/known_sum.h"
#include "ksearch/report/format.h"
#include "ksearch/report/palette.h"
#include "ksearch/report/run_charts.h"
#include "ksearch/report/tree_layout.h"

namespace ksearch::report {

namespace {

constexpr const char* style_sheet = R"css(
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
header, section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 22px; margin: 0 0 14px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 14px; }
.kpis { display: flex; gap: 12px; flex-wrap: wrap; margin: 0 0 16px; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 170px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { color: var(--muted); font-size: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
svg.chart, svg.tree { max-width: 100%; height: auto; display: block; }
.charts2 { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.tree-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #f9fafb; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
tr.best td { background: #fefce8; }
.pill { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; white-space: nowrap; border: 1px solid; }
pre.code { background: #0f172a; color: #e2e8f0; padding: 14px 16px; border-radius: 8px; overflow-x: auto; margin: 0;
           font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.warnings { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; padding: 8px 14px; margin-top: 14px; }
.warnings ul { margin: 4px 0; padding-left: 20px; }
.warnings li { overflow-wrap: anywhere; }
.note { color: var(--muted); font-size: 12.5px; }
td.feedback { min-width: 300px; max-width: 420px; color: #374151; font-size: 12px; overflow-wrap: anywhere; }
code.id { font-size: 12px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 4px 0 16px; }
)css";

std::string esc(std::string_view text) { return escape_html(text); }

// JSON laid out for reading: a value that fits on the rest of the line stays on it, containers
// that do not are spread one member per line. Keys keep their order.
std::string readable_json(const ordered_json& value, std::size_t indent) {
  constexpr std::size_t line_width = 88;
  const std::string flat = value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  if (!value.is_structured() || value.empty() || indent + flat.size() <= line_width) {
    // Separators as people write them: ", " and ": ".
    std::string spaced;
    bool in_string = false;
    for (std::size_t i = 0; i < flat.size(); ++i) {
      const char c = flat[i];
      spaced += c;
      if (c == '"' && (i == 0 || flat[i - 1] != '\\')) in_string = !in_string;
      if (!in_string && (c == ',' || c == ':')) spaced += ' ';
    }
    return spaced;
  }
  const std::string pad(indent + 2, ' ');
  std::string out = value.is_object() ? "{\n" : "[\n";
  std::size_t i = 0;
  for (auto it = value.begin(); it != value.end(); ++it, ++i) {
    out += pad;
    if (value.is_object()) out += ordered_json(it.key()).dump() + ": ";
    out += readable_json(*it, indent + 2);
    out += i + 1 < value.size() ? ",\n" : "\n";
  }
  return out + std::string(indent, ' ') + (value.is_object() ? "}" : "]");
}

std::string status_pill(tasks::evaluation_status status) {
  const std::string colour(status_color(status));
  // Text in the status colour on a tint of it ("1f": 12% alpha), so every status stays readable.
  return "<span class=\"pill\" style=\"color:" + colour + ";background:" + colour + "1f;border-color:" + colour + "\">" +
         esc(std::string(tasks::to_string(status))) + "</span>";
}

std::string cell(const std::string& html, bool number = false) {
  return std::string(number ? "<td class=\"num\">" : "<td>") + html + "</td>";
}

std::string header_cell(const std::string& text, bool number = false) {
  return std::string(number ? "<th class=\"num\">" : "<th>") + esc(text) + "</th>";
}

std::string join_rounds(const std::vector<int>& rounds) {
  std::string out;
  for (const int r : rounds) out += (out.empty() ? "" : ", ") + std::to_string(r);
  return out;
}

std::string gpu_text(const run_info& info) {
  if (!info.gpu.empty()) return info.gpu;
  if (!info.target_gpu.empty()) return info.target_gpu + " (--target-gpu; the run does not record the device)";
  return "unknown";
}

std::string search_text(const run_info& info) {
  std::string text = !info.world_model ? "unknown" : (*info.world_model ? "world model" : "plain loop");
  if (!info.eval_mode.empty()) text += ", evaluation on " + std::string(info.eval_mode == "gpu" ? "the GPU" : info.eval_mode);
  return text;
}

// Section 1: what ran, the headline numbers, and what the loader had to skip.
std::string summary_section(const run_data& run) {
  const run_info& info = run.info;
  const std::string name = info.definition.empty() ? run.dir.filename().string() : info.definition;
  int passed = 0, rounds = 0;
  for (const round_row& r : run.rounds) {
    if (r.kind != "round") continue;
    ++rounds;
    if (r.passed) ++passed;
  }
  std::string out = "<header id=\"summary\">\n<h1>ksearch run: " + esc(name) + "</h1>\n";
  std::string subtitle = std::to_string(rounds) + " rounds";
  if (run.best) subtitle += ", best " + format_speedup(run.best->score) + " at round " + std::to_string(run.best->round);
  subtitle += "; " + run.stop_summary();
  out += "<p class=\"subtitle\">" + esc(subtitle) + "</p>\n";

  const usage_totals usage = run.round_usage();
  out += "<div class=\"kpis\">";
  auto kpi = [&](const std::string& value, const std::string& label) {
    out += "<div class=\"kpi\"><b>" + esc(value) + "</b><span>" + esc(label) + "</span></div>";
  };
  if (run.best) {
    kpi(run.best->score ? format_number(*run.best->score, 4) : std::string("-"), "best score (" + (run.best->score_name.empty() ? std::string("score") : run.best->score_name) + ")");
    kpi(format_ms(run.best->latency_ms), "best mean latency (reference " + format_ms(run.best->reference_latency_ms) + ")");
  } else {
    kpi("none", "no round passed");
  }
  kpi(std::to_string(passed) + " / " + std::to_string(rounds), "rounds passed");
  kpi(format_count(known_sum(usage.prompt_tokens, usage.completion_tokens)), "tokens in rounds");
  kpi(format_usd(usage.cost_usd), "cost of the rounds");
  out += "</div>\n<dl class=\"facts\">";
  auto fact = [&](const std::string& label, const std::string& value) {
    out += "<dt>" + esc(label) + "</dt><dd>" + esc(value.empty() ? "unknown" : value) + "</dd>";
  };
  fact("task", (info.backend.empty() ? std::string() : info.backend + " / ") + name);
  fact("model", info.model);
  fact("dataset", info.dataset);
  fact("endpoint", info.base_url);
  fact("reference", info.reference_solution);
  fact("GPU", gpu_text(info));
  std::string workloads = std::to_string(info.workloads.size());
  for (std::size_t i = 0; i < info.workloads.size() && i < 4; ++i) workloads += (i == 0 ? ": " : ", ") + info.workloads[i];
  if (info.workloads.size() > 4) workloads += ", ...";
  fact("workloads", info.workloads.empty() ? std::string() : workloads);
  fact("search", search_text(info));
  fact("rounds", std::to_string(run.last_round()) + (info.max_rounds > 0 ? " of " + std::to_string(info.max_rounds) : std::string()));
  fact("sessions", info.sessions > 0 ? std::to_string(info.sessions) + (info.sessions > 1 ? " (resumed)" : "") : std::string());
  fact("started", info.started);
  fact("stop", run.stop_summary());
  fact("ksearch", info.ksearch_version);
  fact("run folder", run.dir.string());
  out += "</dl>\n";
  if (!run.warnings.empty()) {
    out += "<div class=\"warnings\"><b>" + std::to_string(run.warnings.size()) + " warning" + (run.warnings.size() > 1 ? "s" : "") +
           " while reading the run</b><ul>";
    for (const std::string& w : run.warnings) out += "<li>" + esc(w) + "</li>";
    out += "</ul></div>\n";
  }
  return out + "</header>\n";
}

// Section 2: the two per-round charts.
std::string progress_section(const run_data& run) {
  std::string out = "<section id=\"progress\">\n<h2>Score and latency per round</h2>\n";
  out += score_chart(run).render();
  out += latency_chart(run).render();
  out += "<p class=\"note\">Each marker is a round, coloured by its status; rounds without a score (failures) sit in the grey "
         "strip under each plot. Hover a marker for the round's node, prompt and feedback.</p>\n";
  return out + "</section>\n";
}

// Section 3: how the rounds ended.
std::string status_section(const run_data& run) {
  std::string out = "<section id=\"status-counts\">\n<h2>Rounds by status</h2>\n<table><thead><tr>" + header_cell("status") +
                    header_cell("rounds", true) + header_cell("share", true) + header_cell("which rounds") + "</tr></thead><tbody>\n";
  int total = 0;
  const std::vector<status_count> counts = run.status_counts();
  for (const status_count& c : counts) total += c.rounds;
  for (const status_count& c : counts) {
    const double share = total > 0 ? 100.0 * c.rounds / total : 0;
    out += "<tr>" + cell(status_pill(c.status)) + cell(std::to_string(c.rounds), true) + cell(format_fixed(share, 0) + "%", true) +
           cell(esc(join_rounds(c.round_numbers))) + "</tr>\n";
  }
  out += "<tr class=\"total\">" + cell("all") + cell(std::to_string(total), true) + cell("100%", true) + cell("") + "</tr>\n";
  return out + "</tbody></table>\n</section>\n";
}

// Section 4: tokens and cost, per round and per purpose.
std::string usage_section(const run_data& run) {
  std::string out = "<section id=\"llm-usage\">\n<h2>Tokens and cost</h2>\n<div class=\"charts2\">" + tokens_chart(run).render() +
                    cost_chart(run).render() + "</div>\n";
  out += "<table><thead><tr>" + header_cell("LLM calls") + header_cell("calls", true) + header_cell("failed", true) +
         header_cell("prompt tokens", true) + header_cell("completion tokens", true) + header_cell("reasoning tokens", true) +
         header_cell("cost", true) + "</tr></thead><tbody>\n";
  auto row = [&](const std::string& label, const std::string& calls, const std::string& failed,
                 std::optional<long> prompt, std::optional<long> completion, std::optional<long> reasoning,
                 std::optional<double> cost, bool total) {
    out += std::string(total ? "<tr class=\"total\">" : "<tr>") + cell(esc(label)) + cell(calls, true) + cell(failed, true) +
           cell(format_count(prompt), true) + cell(format_count(completion), true) + cell(format_count(reasoning), true) +
           cell(esc(format_usd(cost)), true) + "</tr>\n";
  };
  const usage_totals rounds = run.round_usage();
  row("rounds (solutions.jsonl)", std::to_string(rounds.calls), "", rounds.prompt_tokens, rounds.completion_tokens,
      rounds.reasoning_tokens, rounds.cost_usd, false);
  if (!run.llm_usage.empty()) {
    for (const llm_purpose_usage& u : run.llm_usage) {
      row("  " + u.purpose, std::to_string(u.calls), std::to_string(u.failed), u.prompt_tokens, u.completion_tokens,
          u.reasoning_tokens, u.cost_usd, false);
    }
    const llm_purpose_usage all = run.all_llm_usage();
    row(all.purpose, std::to_string(all.calls), std::to_string(all.failed), all.prompt_tokens, all.completion_tokens,
        all.reasoning_tokens, all.cost_usd, true);
  }
  out += "</tbody></table>\n<p class=\"note\">Rounds record the code-generation calls they made; the world model's own calls "
         "(init, refine, too-hard) are only in the transcript.</p>\n";
  return out + "</section>\n";
}

// Section 5: the world model.
std::string world_model_section(const run_data& run) {
  std::string out = "<section id=\"world-model\">\n<h2>World model</h2>\n";
  if (!run.world_model) {
    out += "<p class=\"note\">" +
           esc(run.info.world_model.value_or(true) ? "No world_model.json in the run folder."
                                                   : "This run used the plain loop: there is no world model.") +
           "</p>\n";
    return out + "</section>\n";
  }
  const worldmodel::world_model& model = *run.world_model;
  if (!model.kernel_summary.empty()) out += "<p>" + esc(model.kernel_summary) + "</p>\n";
  int solved = 0, open = 0, closed = 0;
  for (const worldmodel::node& n : model.nodes) {
    switch (state_of(n)) {
      case node_state::solved: ++solved; break;
      case node_state::open: ++open; break;
      case node_state::root: break;
      default: ++closed;
    }
  }
  out += "<p class=\"note\">" + std::to_string(model.nodes.size()) + " nodes: " + std::to_string(solved) + " solved, " +
         std::to_string(open) + " open, " + std::to_string(closed) + " failed, too hard or pruned. Active leaf: <code class=\"id\">" +
         esc(model.active_leaf_id) + "</code>. Hover a node for its decision and outcome.</p>\n";
  const tree_layout layout = layout_tree(model);
  out += "<div class=\"tree-scroll\">" +
         render_tree_svg(model, layout, {.best_solution_id = run.best ? run.best->solution_id : std::string()}) + "</div>\n";
  if (!model.open_questions.empty()) {
    out += "<h3>Open questions</h3><ul>";
    for (const std::string& q : model.open_questions) out += "<li>" + esc(q) + "</li>";
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

// Section 6: the best kernel's code.
std::string best_kernel_section(const run_data& run) {
  std::string out = "<section id=\"best-kernel\">\n<h2>Best kernel</h2>\n";
  if (!run.best) return out + "<p class=\"note\">No round passed: there is no best kernel.</p>\n</section>\n";
  const best_candidate& best = *run.best;
  out += "<p>Round " + std::to_string(best.round) + (best.node_id.empty() ? "" : ", node <code class=\"id\">" + esc(best.node_id) + "</code>") +
         ", solution <code class=\"id\">" + esc(best.solution_name) + "</code> (id <code class=\"id\">" + esc(best.solution_id) +
         "</code>): score " + esc(best.score ? format_number(*best.score, 4) : std::string("-")) + ", mean latency " + esc(format_ms(best.latency_ms)) +
         " against " + esc(format_ms(best.reference_latency_ms)) + " for the reference.</p>\n";
  out += "<h3>kernel.cu</h3>\n<pre class=\"code\"><code>" + esc(best.kernel_cu.empty() ? "(not recorded)" : best.kernel_cu) +
         "</code></pre>\n";
  // A one-line plan is spread over lines to be readable, in the model's key order; a plan the
  // model laid out itself is shown as written.
  std::string plan = best.launch_json;
  if (plan.find('\n') == std::string::npos) {
    const ordered_json parsed = ordered_json::parse(plan, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) plan = readable_json(parsed, 0);
  }
  out += "<h3>launch.json</h3>\n<pre class=\"code\"><code>" + esc(plan.empty() ? "(not recorded)" : plan) + "</code></pre>\n";
  return out + "</section>\n";
}

// Section 7: the best solution's evaluation, workload by workload.
std::string workloads_section(const run_data& run) {
  std::string out = "<section id=\"workloads\">\n<h2>Best solution per workload</h2>\n";
  if (!run.best || run.best->workloads.empty()) {
    return out + "<p class=\"note\">No per-workload evaluation recorded for a passed round.</p>\n</section>\n";
  }
  out += "<table><thead><tr>" + header_cell("workload") + header_cell("status") + header_cell("latency", true) +
         header_cell("reference", true) + header_cell("speedup", true) + header_cell("max abs error", true) +
         header_cell("max rel error", true) + header_cell("samples", true) + header_cell("noise", true) + "</tr></thead><tbody>\n";
  auto optional_number = [](const std::optional<double>& v) { return v ? format_number(*v, 3) : std::string("-"); };
  for (const workload_row& w : run.best->workloads) {
    out += "<tr>" + cell("<code class=\"id\">" + esc(w.uuid) + "</code>") + cell(status_pill(w.status)) +
           cell(esc(format_ms(w.latency_ms)), true) + cell(esc(format_ms(w.reference_latency_ms)), true) +
           cell(esc(format_speedup(w.speedup_factor)), true) + cell(esc(optional_number(w.max_absolute_error)), true) +
           cell(esc(optional_number(w.max_relative_error)), true) + cell(w.samples ? std::to_string(*w.samples) : "-", true) +
           cell(w.rel_noise ? esc(format_fixed(*w.rel_noise * 100, 1) + "%") : "-", true) + "</tr>\n";
  }
  return out + "</tbody></table>\n</section>\n";
}

// Section 8: every round.
std::string rounds_section(const run_data& run) {
  std::string out = "<section id=\"rounds\">\n<h2>Every round</h2>\n<table><thead><tr>" + header_cell("round", true) +
                    header_cell("time") + header_cell("node") + header_cell("prompt") + header_cell("status") +
                    header_cell("latency", true) + header_cell("score", true) + header_cell("best", true) +
                    header_cell("tokens", true) + header_cell("cost", true) + header_cell("feedback") + "</tr></thead><tbody>\n";
  for (const round_row& r : run.rounds) {
    const bool is_best = run.best && r.kind == "round" && r.round == run.best->round;
    std::string note;
    if (r.reused_from_round >= 0) note = "identical to round " + std::to_string(r.reused_from_round) + "; evaluation reused. ";
    if (!r.passed) note += r.feedback.substr(0, r.feedback.find('\n'));
    const std::string time = r.time.size() >= 16 ? r.time.substr(11, 5) : r.time;  // HH:MM of an ISO 8601 UTC time
    out += std::string(is_best ? "<tr class=\"best\">" : "<tr>") +
           cell(r.kind == "seed" ? std::string("seed") : std::to_string(r.round), true) + cell(esc(time)) +
           cell("<code class=\"id\">" + esc(truncate_text(r.node_id, 28)) + "</code>") + cell(esc(r.prompt_kind)) +
           cell(status_pill(r.status)) + cell(esc(format_ms(r.latency_ms)), true) +
           cell(r.score ? esc(format_number(*r.score, 4)) : "-", true) +
           cell(r.best_score ? esc(format_number(*r.best_score, 4)) : "-", true) +
           cell(format_count(known_sum(r.prompt_tokens, r.completion_tokens)), true) + cell(esc(format_usd(r.cost_usd)), true) +
           "<td class=\"feedback\">" + esc(truncate_text(note, 160)) + "</td></tr>\n";
  }
  return out + "</tbody></table>\n</section>\n";
}

}  // namespace

std::string render_html_report(const run_data& run) {
  const std::string name = run.info.definition.empty() ? run.dir.filename().string() : run.info.definition;
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>ksearch report: " + esc(name) + "</title>\n<style>" + style_sheet + "</style>\n</head>\n<body>\n<main>\n";
  page += summary_section(run);
  page += progress_section(run);
  page += status_section(run);
  page += usage_section(run);
  page += world_model_section(run);
  page += best_kernel_section(run);
  page += workloads_section(run);
  page += rounds_section(run);
  page += "<footer>ksearch report of " + esc(run.dir.string()) + "</footer>\n</main>\n</body>\n</html>\n";
  return page;
}

}  // namespace ksearch::report
