#include "ksearch/report/run_charts.h"

#include <algorithm>
#include <cmath>

#include "ksearch/report/format.h"
#include "ksearch/report/palette.h"

namespace ksearch::report {

namespace {

constexpr const char* best_colour = "#1d4ed8";
constexpr const char* reference_colour = "#6b7280";
constexpr int wide = 1100, narrow = 540;  // chart widths [px]: full row, half row

// Rounds and seeds are plotted; other kinds (none are written today) are not.
bool plotted(const round_row& r) { return r.kind == "round" || r.kind == "seed"; }

// The x range of the round axis: whole rounds with half a round of air; round 0 when seeds exist.
void round_axis(const run_data& run, chart_options& options) {
  bool seed = false;
  for (const round_row& r : run.rounds) seed = seed || r.kind == "seed";
  options.x_min = seed ? -0.5 : 0.5;
  options.x_max = std::max(1, run.last_round()) + 0.5;
  options.integer_x_ticks = true;
  options.x_label = "round";
}

std::string describe(const round_row& r) {
  std::string text = (r.kind == "seed" ? std::string("seed") : "round " + std::to_string(r.round));
  std::string context = r.prompt_kind;
  if (!r.node_id.empty()) context += (context.empty() ? "" : ", ") + std::string("node ") + r.node_id;
  if (!context.empty()) text += " (" + context + ")";
  text += ": " + std::string(tasks::to_string(r.status));
  if (r.score) text += ", score " + format_number(*r.score, 4);
  if (r.latency_ms) text += ", " + format_ms(r.latency_ms);
  if (r.reused_from_round >= 0) text += ", reused from round " + std::to_string(r.reused_from_round);
  if (!r.passed && !r.feedback.empty()) text += "\n" + truncate_text(r.feedback.substr(0, r.feedback.find('\n')), 160);
  return text;
}

std::vector<legend_entry> status_legend(const run_data& run) {
  std::vector<legend_entry> legend;
  for (const status_count& c : run.status_counts()) {
    legend.push_back({std::string(tasks::to_string(c.status)), std::string(status_color(c.status)), marker_shape::circle});
  }
  return legend;
}

// Markers for every round: at `value` when it has one, else in the strip; coloured by status.
chart_series status_markers(const run_data& run, std::optional<double> round_row::*value) {
  chart_series markers;
  markers.line = false;
  markers.marker = marker_shape::circle;
  markers.marker_size = 5;
  for (const round_row& r : run.rounds) {
    if (!plotted(r)) continue;
    std::optional<double> y = r.*value;
    if (!r.passed) y.reset();  // a failed round has no value to plot, whatever it recorded
    markers.points.push_back({.x = static_cast<double>(r.round), .y = y, .color = std::string(status_color(r.status)),
                              .tooltip = describe(r)});
  }
  return markers;
}

}  // namespace

svg_chart score_chart(const run_data& run) {
  chart_options options{.id = "score-chart", .title = "Score per round", .width = wide, .height = 290};
  round_axis(run, options);
  const std::string score_name = run.best ? run.best->score_name : std::string();
  options.y_label = score_name.empty() ? "score" : score_name;
  options.strip_label = "no score";
  options.extra_legend = status_legend(run);
  svg_chart chart(options);

  chart_series best{.name = "best so far", .color = best_colour, .step = true, .line_width = 2.5, .marker = marker_shape::none};
  for (const round_row& r : run.rounds) {
    if (r.kind == "round" && r.best_score) best.points.push_back({.x = static_cast<double>(r.round), .y = r.best_score});
  }
  // Hold the best to the last round, so the line ends where the run ended.
  if (!best.points.empty() && best.points.back().x < run.last_round()) {
    best.points.push_back({.x = static_cast<double>(run.last_round()), .y = best.points.back().y});
  }
  chart.add_series(std::move(best));
  chart.add_series(status_markers(run, &round_row::score));
  if (score_name.find("speedup") != std::string::npos) chart.add_reference_line(1.0, "reference (1.0x)", reference_colour);
  return chart;
}

svg_chart latency_chart(const run_data& run) {
  chart_options options{.id = "latency-chart", .title = "Mean latency per round", .width = wide, .height = 250};
  round_axis(run, options);
  options.y_label = "latency [ms]";
  options.y_min = 0;
  options.strip_label = "not timed";
  options.extra_legend = status_legend(run);
  svg_chart chart(options);

  // The best candidate's latency so far (the best is by score, so this line need not fall).
  chart_series best{.name = "best candidate so far", .color = best_colour, .step = true, .line_width = 2.5,
                    .marker = marker_shape::none};
  std::optional<double> best_score, best_latency;
  std::optional<double> reference;
  for (const round_row& r : run.rounds) {
    if (r.reference_latency_ms && !reference) reference = r.reference_latency_ms;
    if (r.kind != "round") continue;
    if (r.score && (!best_score || *r.score > *best_score)) {
      best_score = r.score;
      best_latency = r.latency_ms;
    }
    if (best_latency) best.points.push_back({.x = static_cast<double>(r.round), .y = best_latency});
  }
  chart.add_series(std::move(best));
  chart.add_series(status_markers(run, &round_row::latency_ms));
  if (reference) chart.add_reference_line(*reference, "reference " + format_ms(reference), reference_colour);
  return chart;
}

svg_chart tokens_chart(const run_data& run) {
  chart_options options{.id = "tokens-chart", .title = "Tokens per round", .width = narrow, .height = 240};
  round_axis(run, options);
  options.y_label = "tokens";
  options.y_min = 0;
  svg_chart chart(options);
  chart_series prompt{.name = "prompt", .color = "#2563eb", .marker_size = 3};
  chart_series completion{.name = "completion", .color = "#ea580c", .marker_size = 3};
  chart_series reasoning{.name = "reasoning", .color = "#9333ea", .dashed = true, .marker_size = 3};
  for (const round_row& r : run.rounds) {
    if (!plotted(r)) continue;
    const double x = static_cast<double>(r.round);
    const std::string where = (r.kind == "seed" ? std::string("seed") : "round " + std::to_string(r.round)) + ": ";
    // A count the server did not report has no point (a 0 would claim it was reported).
    auto add = [&](chart_series& series, const std::optional<long>& tokens, const char* what) {
      if (!tokens) return;
      series.points.push_back(
          {.x = x, .y = static_cast<double>(*tokens), .tooltip = where + format_count(*tokens) + " " + what + " tokens"});
    };
    add(prompt, r.prompt_tokens, "prompt");
    add(completion, r.completion_tokens, "completion");
    add(reasoning, r.reasoning_tokens, "reasoning");
  }
  chart.add_series(std::move(prompt));
  chart.add_series(std::move(completion));
  chart.add_series(std::move(reasoning));
  return chart;
}

svg_chart cost_chart(const run_data& run) {
  chart_options options{.id = "cost-chart", .title = "Cumulative cost", .width = narrow, .height = 240};
  round_axis(run, options);
  options.y_label = "USD";
  options.y_min = 0;
  svg_chart chart(options);
  chart_series rounds{.name = "rounds", .color = "#0f766e", .marker_size = 3};
  std::optional<double> total = 0.0;
  for (const round_row& r : run.rounds) {
    if (!plotted(r)) continue;
    // A cost that could not be priced makes every later total unknown: the line stops there.
    total = total && r.cost_usd ? std::optional<double>(*total + *r.cost_usd) : std::nullopt;
    if (!total) break;
    rounds.points.push_back({.x = static_cast<double>(r.round), .y = total,
                             .tooltip = "after round " + std::to_string(r.round) + ": " + format_usd(total)});
  }
  chart.add_series(std::move(rounds));
  std::optional<double> all_calls = run.llm_usage.empty() ? std::nullopt : std::optional<double>(0.0);
  for (const llm_purpose_usage& u : run.llm_usage) {
    all_calls = all_calls && u.cost_usd ? std::optional<double>(*all_calls + *u.cost_usd) : std::nullopt;
  }
  if (all_calls && total && *all_calls > *total + 1e-9) {
    chart.add_reference_line(*all_calls, "all LLM calls " + format_usd(all_calls), reference_colour);
  }
  return chart;
}

}  // namespace ksearch::report
