#include "ksearch/bench/bench_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ksearch/common/json.h"

namespace ksearch::bench {


namespace {

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string us(double ms) { return fixed(ms * 1e3, 1); }
std::string optional_us(const std::optional<double>& ms) { return ms ? us(*ms) : "-"; }

std::string percent(double fraction) { return fixed(100 * fraction, 2) + "%"; }

// A Markdown table with padded columns: readable as text, rendered as a table.
class markdown_table {
 public:
  // `align`: one 'l' or 'r' per column.
  markdown_table(std::vector<std::string> header, std::string align)
      : header_(std::move(header)), align_(std::move(align)) {}

  void add(std::vector<std::string> row) {
    row.resize(header_.size());
    rows_.push_back(std::move(row));
  }

  [[nodiscard]] std::string render() const {
    std::vector<std::size_t> width(header_.size(), 3);
    for (std::size_t c = 0; c < header_.size(); ++c) {
      width[c] = std::max(width[c], header_[c].size());
      for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
    }
    std::string out = line(header_, width);
    out += "|";
    for (std::size_t c = 0; c < header_.size(); ++c) {
      const bool right = c < align_.size() && align_[c] == 'r';
      out += right ? " " + std::string(width[c] - 1, '-') + ": |" : " " + std::string(width[c], '-') + " |";
    }
    out += "\n";
    for (const auto& row : rows_) out += line(row, width);
    return out;
  }

 private:
  [[nodiscard]] std::string line(const std::vector<std::string>& cells, const std::vector<std::size_t>& width) const {
    std::string out = "|";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      const bool right = c < align_.size() && align_[c] == 'r';
      out += " " + (right ? pad + cells[c] : cells[c] + pad) + " |";
    }
    return out + "\n";
  }

  std::vector<std::string> header_;
  std::string align_;
  std::vector<std::vector<std::string>> rows_;
};

// Each clock's reading of a call of known length, minus that length: the clock's own window
// (launch, block scheduling, and what else it encloses). "" when no call has a known length.
std::string render_clock_windows(const std::vector<ncu_entry>& rows) {
  markdown_table windows({"definition", "candidate", "workload", "known", "ksearch", "events", "ncu"}, "lllrrrr");
  bool any = false;
  for (const ncu_entry& n : rows) {
    if (!n.known_ms) continue;
    any = true;
    auto over = [&](const std::optional<double>& ms) {
      if (!ms) return std::string("-");
      const double window_ms = *ms - *n.known_ms;
      return (window_ms >= 0 ? "+" : "") + us(window_ms);
    };
    windows.add({n.definition, n.candidate, n.workload, us(*n.known_ms), over(n.ksearch_ms), over(n.ksearch_events_ms),
                 over(n.ncu_ms)});
  }
  if (!any) return "";
  return "\n### Clock windows on calls of known length [us] (reading - known length)\n\n" + windows.render();
}

// What the environment's clock means, for the report's header.
std::string clock_description(const std::string& clock) {
  if (clock == "cupti") return "cupti (CUPTI activity timestamps: each call's GPU work, first start to last end)";
  if (clock == "events") return "events (CUDA events around each call)";
  if (clock.empty()) return "- (nothing was timed)";
  return clock + " (CUPTI was unavailable for some runs; see each run's clock in the JSON)";
}

ordered_json optional_number(const std::optional<double>& value) {
  return value ? ordered_json(*value) : ordered_json();
}

ordered_json timing_json(const std::optional<compile_timing>& timing) {
  if (!timing) return nullptr;
  return {{"runs_ms", timing->runs_ms}, {"median_ms", timing->median_ms}};
}

// The worst (largest) value over `values`, with its label; nullopt when there is none.
struct worst_value {
  double value = 0;
  std::string label;
  bool found = false;
  void offer(double v, const std::string& what) {
    if (!found || v > value) {
      value = v;
      label = what;
      found = true;
    }
  }
};

}  // namespace

bool evaluation_entry::all_passed() const {
  return !runs.empty() &&
         std::all_of(runs.begin(), runs.end(),
                     [](const run_entry& r) { return r.status == tasks::evaluation_status::passed; });
}

std::vector<double> evaluation_entry::medians_of(std::size_t index) const {
  std::vector<double> values;
  for (const run_entry& r : runs) {
    if (index < r.median_ms.size() && r.median_ms[index]) values.push_back(*r.median_ms[index]);
  }
  return values;
}

std::vector<double> evaluation_entry::reference_medians_of(std::size_t index) const {
  std::vector<double> values;
  for (const run_entry& r : runs) {
    if (index < r.reference_median_ms.size() && r.reference_median_ms[index])
      values.push_back(*r.reference_median_ms[index]);
  }
  return values;
}

std::vector<double> evaluation_entry::event_medians_of(std::size_t index) const {
  std::vector<double> values;
  for (const run_entry& r : runs) {
    if (index < r.event_median_ms.size() && r.event_median_ms[index]) values.push_back(*r.event_median_ms[index]);
  }
  return values;
}

std::vector<target_check> check_targets(const bench_report& report) {
  std::vector<target_check> checks;
  auto add = [&](std::string target, const worst_value& worst, double limit, const std::string& unit_text,
                 const std::string& shown, const std::string& why_absent) {
    if (!worst.found) {
      checks.push_back({std::move(target), "not measured: " + why_absent, std::nullopt});
      return;
    }
    checks.push_back({std::move(target), shown + unit_text + " (" + worst.label + ")", worst.value <= limit});
  };

  worst_value compile;
  for (const compile_entry& c : report.compiles) {
    if (c.nvrtc) compile.offer(c.nvrtc->median_ms, c.solution + ", " + std::to_string(c.lines) + " lines");
  }
  add("NVRTC compile <= " + fixed(compile_target_ms, 0) + " ms (slowest bench kernel)", compile, compile_target_ms,
      " ms", fixed(compile.value, 0), "no kernel compiled");

  worst_value overhead;
  for (const evaluation_entry& e : report.evaluations) {
    for (std::size_t r = 0; r < e.runs.size(); ++r) {
      if (e.runs[r].status != tasks::evaluation_status::passed) continue;
      overhead.offer(e.runs[r].split.overhead_ms, e.candidate + " run " + std::to_string(r + 1) + ", " +
                                                      std::to_string(e.workloads.size()) + " workloads");
    }
  }
  add("evaluation overhead <= " + fixed(overhead_target_ms, 0) + " ms (wall - kernel time, worst run)", overhead,
      overhead_target_ms, " ms", fixed(overhead.value, 0), "no evaluation passed");

  worst_value ncu;
  for (const ncu_entry& n : report.ncu) {
    if (!n.ncu_ms || *n.ncu_ms < ncu_min_kernel_ms) continue;
    ncu.offer(std::abs(percent_difference(n.ksearch_ms, *n.ncu_ms)), n.candidate + " " + n.workload);
  }
  add("|ksearch - ncu| <= " + fixed(ncu_target_percent, 0) + "% (kernels >= " + us(ncu_min_kernel_ms) + " us, worst)",
      ncu, ncu_target_percent, "%", fixed(ncu.value, 2),
      report.ncu_note.empty() ? "no ncu time for a kernel of at least " + us(ncu_min_kernel_ms) + " us"
                              : report.ncu_note);

  worst_value spread;
  for (const evaluation_entry& e : report.evaluations) {
    for (std::size_t w = 0; w < e.workloads.size(); ++w) {
      const std::vector<double> medians = e.medians_of(w);
      if (medians.size() >= 2) spread.offer(relative_spread(medians), e.candidate + " " + e.workloads[w]);
    }
  }
  add("run-to-run spread <= " + percent(spread_target) + " ((max - min) / median, worst)", spread, spread_target, "",
      percent(spread.value), "fewer than two timed runs");
  return checks;
}

std::string render_markdown(const bench_report& report) {
  const bench_environment& env = report.environment;
  std::string out = "## ksearch bench eval\n\n";
  out += "- device: " + env.device + ", CUDA driver " + env.driver + ", NVRTC " + env.nvrtc + "\n";
  out += "- nvcc: " + env.nvcc + "\n";
  out += "- ncu: " + env.ncu + "\n";
  out += "- dataset: " + env.dataset + ", " + std::to_string(env.repeats) + " runs per candidate\n";
  out += "- ksearch clock: " + clock_description(env.clock) + "\n\n";

  out += "### Evaluation wall time per run [ms]\n\n";
  markdown_table walls({"definition", "candidate", "run", "status", "compile", "load", "correctness", "timing",
                        "of which defences", "checked calls", "wall", "kernel", "overhead"},
                       "llrlrrrrrrrrr");
  for (const evaluation_entry& e : report.evaluations) {
    for (std::size_t r = 0; r < e.runs.size(); ++r) {
      const wall_split& s = e.runs[r].split;
      walls.add({e.definition, e.candidate, std::to_string(r + 1), std::string(tasks::to_string(e.runs[r].status)),
                 fixed(s.compile_ms, 0), fixed(s.load_ms, 0), fixed(s.correctness_ms, 0), fixed(s.timing_ms, 0),
                 fixed(s.defences_ms, 1), std::to_string(s.timed_checks), fixed(s.wall_ms, 0), fixed(s.kernel_ms, 0),
                 fixed(s.overhead_ms, 0)});
    }
  }
  out += walls.render() + "\n";
  for (const evaluation_entry& e : report.evaluations) {
    for (std::size_t r = 0; r < e.runs.size(); ++r) {
      if (!e.runs[r].log.empty())
        out += "- " + e.candidate + " run " + std::to_string(r + 1) + ": " + e.runs[r].log + "\n";
    }
  }

  out += "\n### Latency per workload [us] (median of each run's timed samples)\n\n";
  const int repeats = std::max(env.repeats, 1);
  std::vector<std::string> header = {"definition", "candidate", "workload"};
  std::string align = "lll";
  for (int r = 1; r <= repeats; ++r) {
    header.push_back("run " + std::to_string(r));
    align += 'r';
  }
  for (const char* column : {"median", "spread", "reference", "speedup"}) {
    header.emplace_back(column);
    align += 'r';
  }
  markdown_table latency(header, align);
  for (const evaluation_entry& e : report.evaluations) {
    for (std::size_t w = 0; w < e.workloads.size(); ++w) {
      std::vector<std::string> row = {e.definition, e.candidate, e.workloads[w]};
      for (int r = 0; r < repeats; ++r) {
        const auto& runs = e.runs;
        const bool timed = static_cast<std::size_t>(r) < runs.size() &&
                           w < runs[static_cast<std::size_t>(r)].median_ms.size() &&
                           runs[static_cast<std::size_t>(r)].median_ms[w];
        row.push_back(timed ? us(*runs[static_cast<std::size_t>(r)].median_ms[w]) : "-");
      }
      const std::vector<double> medians = e.medians_of(w);
      const std::vector<double> reference = e.reference_medians_of(w);
      const double median = median_of(medians);
      const double reference_median = median_of(reference);
      row.push_back(medians.empty() ? "-" : us(median));
      row.push_back(medians.size() < 2 ? "-" : percent(relative_spread(medians)));
      row.push_back(reference.empty() ? "-" : us(reference_median));
      row.push_back(medians.empty() || reference.empty() || median <= 0 ? "-"
                                                                        : fixed(reference_median / median, 2) + "x");
      latency.add(row);
    }
  }
  out += latency.render();

  out += "\n### Compile time [ms] (median of each tool's runs, same source, same architecture)\n\n";
  markdown_table compiles({"definition", "solution", "lines", "NVRTC", "nvcc", "nvcc / NVRTC"}, "llrrrr");
  for (const compile_entry& c : report.compiles) {
    compiles.add(
        {c.definition, c.solution, std::to_string(c.lines), c.nvrtc ? fixed(c.nvrtc->median_ms, 0) : "failed",
         c.nvcc ? fixed(c.nvcc->median_ms, 0) : "-",
         c.nvrtc && c.nvcc && c.nvrtc->median_ms > 0 ? fixed(c.nvcc->median_ms / c.nvrtc->median_ms, 2) + "x" : "-"});
  }
  out += compiles.render();
  for (const compile_entry& c : report.compiles) {
    if (!c.nvrtc_error.empty()) out += "- " + c.solution + " NVRTC: " + c.nvrtc_error + "\n";
    if (!c.nvcc_note.empty()) out += "- " + c.solution + " nvcc: " + c.nvcc_note + "\n";
  }

  out += "\n### ksearch vs Nsight Compute gpu__time_duration [us] (per call, median)\n\n";
  if (!report.ncu_note.empty()) {
    out += "Not measured: " + report.ncu_note + "\n";
  } else {
    // "ksearch" is the clock of the header (the one compared); "events" the same calls read with CUDA events.
    markdown_table ncu({"definition", "candidate", "workload", "ksearch", "events", "ncu", "ncu calls", "difference"},
                       "lllrrrrr");
    for (const ncu_entry& n : report.ncu) {
      ncu.add({n.definition, n.candidate, n.workload, us(n.ksearch_ms), optional_us(n.ksearch_events_ms),
               optional_us(n.ncu_ms), std::to_string(n.ncu_calls_ms.size()),
               n.ncu_ms ? fixed(percent_difference(n.ksearch_ms, *n.ncu_ms), 2) + "%" : "-"});
    }
    out += ncu.render();
    for (const ncu_entry& n : report.ncu) {
      if (!n.note.empty()) out += "- " + n.candidate + " " + n.workload + ": " + n.note + "\n";
    }
    out += render_clock_windows(report.ncu);
  }

  out += "\n### Targets (issue 3)\n\n";
  markdown_table targets({"target", "measured", "met"}, "lll");
  for (const target_check& t : check_targets(report)) {
    targets.add({t.target, t.measured, !t.met ? "-" : *t.met ? "yes" : "NO"});
  }
  out += targets.render();
  return out;
}

ordered_json to_json(const bench_report& report) {
  const bench_environment& env = report.environment;
  ordered_json doc;
  doc["environment"] = {{"device", env.device}, {"driver", env.driver},   {"nvrtc", env.nvrtc},    {"nvcc", env.nvcc},
                        {"ncu", env.ncu},       {"dataset", env.dataset}, {"repeats", env.repeats},
                        {"clock", env.clock}};
  doc["evaluations"] = ordered_json::array();
  for (const evaluation_entry& e : report.evaluations) {
    ordered_json entry = {{"definition", e.definition},    {"candidate", e.candidate},
                          {"reference", e.reference},      {"warmup_wall_ms", e.warmup_wall_ms},
                          {"runs", ordered_json::array()}, {"workloads", ordered_json::array()}};
    for (const run_entry& r : e.runs) {
      const wall_split& s = r.split;
      entry["runs"].push_back({{"status", tasks::to_string(r.status)},
                               {"log", r.log},
                               {"clock", r.clock},
                               {"compile_ms", s.compile_ms},
                               {"load_ms", s.load_ms},
                               {"correctness_ms", s.correctness_ms},
                               {"timing_ms", s.timing_ms},
                               {"defences_ms", s.defences_ms},
                               {"timed_checks", s.timed_checks},
                               {"wall_ms", s.wall_ms},
                               {"kernel_ms", s.kernel_ms},
                               {"overhead_ms", s.overhead_ms}});
    }
    for (std::size_t w = 0; w < e.workloads.size(); ++w) {
      ordered_json per_run = ordered_json::array();
      ordered_json reference_per_run = ordered_json::array();
      ordered_json events_per_run = ordered_json::array();
      ordered_json samples = ordered_json::array();
      for (const run_entry& r : e.runs) {
        per_run.push_back(w < r.median_ms.size() ? optional_number(r.median_ms[w]) : ordered_json());
        events_per_run.push_back(w < r.event_median_ms.size() ? optional_number(r.event_median_ms[w]) : ordered_json());
        reference_per_run.push_back(w < r.reference_median_ms.size() ? optional_number(r.reference_median_ms[w])
                                                                     : ordered_json());
        samples.push_back(w < r.samples.size() ? r.samples[w] : 0);
      }
      const std::vector<double> medians = e.medians_of(w);
      entry["workloads"].push_back(
          {{"uuid", e.workloads[w]},
           {"median_ms_per_run", per_run},
           {"samples_per_run", samples},
           {"median_ms", medians.empty() ? ordered_json() : ordered_json(median_of(medians))},
           {"spread", medians.size() < 2 ? ordered_json() : ordered_json(relative_spread(medians))},
           {"reference_median_ms_per_run", reference_per_run},
           {"event_median_ms_per_run", events_per_run}});
    }
    doc["evaluations"].push_back(std::move(entry));
  }
  doc["compile"] = ordered_json::array();
  for (const compile_entry& c : report.compiles) {
    doc["compile"].push_back({{"definition", c.definition},
                              {"solution", c.solution},
                              {"lines", c.lines},
                              {"nvrtc", timing_json(c.nvrtc)},
                              {"nvrtc_error", c.nvrtc_error},
                              {"nvcc", timing_json(c.nvcc)},
                              {"nvcc_note", c.nvcc_note}});
  }
  doc["ncu"] = {{"note", report.ncu_note}, {"rows", ordered_json::array()}};
  for (const ncu_entry& n : report.ncu) {
    doc["ncu"]["rows"].push_back(
        {{"definition", n.definition},
         {"candidate", n.candidate},
         {"workload", n.workload},
         {"ksearch_ms", n.ksearch_ms},
         {"ksearch_events_ms", optional_number(n.ksearch_events_ms)},
         {"known_ms", optional_number(n.known_ms)},
         {"ncu_ms", optional_number(n.ncu_ms)},
         {"ncu_calls_ms", n.ncu_calls_ms},
         {"difference_percent", n.ncu_ms ? ordered_json(percent_difference(n.ksearch_ms, *n.ncu_ms)) : ordered_json()},
         {"note", n.note}});
  }
  doc["targets"] = ordered_json::array();
  for (const target_check& t : check_targets(report)) {
    doc["targets"].push_back(
        {{"target", t.target}, {"measured", t.measured}, {"met", t.met ? ordered_json(*t.met) : ordered_json()}});
  }
  return doc;
}

}  // namespace ksearch::bench
