#include "ksearch/search/judging_text.h"

#include <cstdio>

namespace ksearch::search {

namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string correctness_rule(const eval::eval_config& c) {
  if (c.comparator == "flashinfer") {
    std::string rule = "an element fails when |out - ref| > " + number(c.atol) + " and |out - ref| / |ref| > " +
                       number(c.rtol) + "; any NaN or inf fails the output; ";
    if (c.required_matched_ratio >= 1) return rule + "every element must pass";
    return rule + "at least " + number(c.required_matched_ratio * 100) + "% of each output's elements must pass";
  }
  const std::string scale = c.comparator == "allclose_candidate" ? "|out|" : "|ref|";
  return "every element within |out - ref| <= " + number(c.atol) + " + " + number(c.rtol) + " * " + scale;
}

// "seq_len=7, batch_size=16; scale=0.125": the var axes, then the scalar inputs.
std::string workload_sizes(const tasks::definition& def, const tasks::workload& w) {
  std::string axes;
  for (const tasks::axis& a : def.axes) {
    if (a.is_const) continue;
    const auto value = w.axes.find(a.name);
    if (value == w.axes.end()) continue;
    axes += (axes.empty() ? "" : ", ") + a.name + "=" + std::to_string(value->second);
  }
  std::string scalars;
  for (const tasks::tensor_spec& spec : def.inputs) {
    const auto source = w.inputs.find(spec.name);
    if (!spec.is_scalar() || source == w.inputs.end()) continue;
    scalars += (scalars.empty() ? "" : ", ") + spec.name + "=" + number(source->second.scalar_value);
  }
  if (axes.empty()) return scalars.empty() ? "fixed sizes" : scalars;
  return scalars.empty() ? axes : axes + "; " + scalars;
}

bool splits_sequences(const std::vector<tasks::workload>& workloads) {
  for (const tasks::workload& w : workloads) {
    for (const char* name : {"kv_indptr", "qo_indptr"}) {
      const auto source = w.inputs.find(name);
      if (source != w.inputs.end() && source->second.generated) return true;
    }
  }
  return false;
}

}  // namespace

std::string judging_text(const tasks::definition& def, const eval::eval_config& config,
                         const std::vector<tasks::workload>& workloads) {
  std::string out = "\n## How this candidate is judged\n\n";
  out += "- correct: on " + std::to_string(config.correctness_trials) + " input sets per workload (different seeds), " +
         correctness_rule(config) + "\n";
  out += "- before each checked call the outputs are filled with NaN bytes, workspaces without `init` with "
         "garbage and every SM's shared memory with NaN bits: read only what the call wrote\n";
  std::string clock = config.clock == eval::timing_clock::cupti ? "CUPTI GPU timestamps of the call's work"
                                                                : "CUDA events around the call";
  out += "- timed: " + clock + (config.flush_l2 ? ", L2 flushed before every call" : ", L2 warm") +
         "; every timed call gets fresh inputs and a poisoned output, and calls are checked at random\n";
  if (!workloads.empty()) {
    out += "- feedback workloads (the score is the mean over them):\n";
    for (const tasks::workload& w : workloads) out += "  - " + w.uuid + ": " + workload_sizes(def, w) + "\n";
  }
  if (splits_sequences(workloads)) {
    out += "- sequence lengths within a batch are uneven: the harness splits the tokens among the sequences at "
           "random (each gets at least one)\n";
  }
  return out;
}

}  // namespace ksearch::search
