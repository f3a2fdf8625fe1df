#include "ksearch/search/baseline.h"

#include <algorithm>
#include <cstdio>

#include "ksearch/common/text.h"
#include "ksearch/store/durable_file.h"
#include "ksearch/tasks/evaluation_status.h"

namespace ksearch::search {

namespace fs = std::filesystem;

namespace {

// The latency of a trace line that counts, or a negative number.
double passed_latency(const json& trace, const std::string& definition, const std::string& solution,
                      const std::string& gpu) {
  if (!trace.is_object() || trace.value("definition", json()) != definition ||
      trace.value("solution", json()) != solution) {
    return -1;
  }
  const json evaluation = trace.value("evaluation", json());
  const auto status = tasks::evaluation_status_from_string(evaluation.is_object() ? evaluation.value("status", "") : "");
  if (!status || *status != tasks::evaluation_status::passed) return -1;
  const json hardware = evaluation.value("environment", json::object()).value("hardware", json());
  if (!hardware.is_string() || to_lower(hardware.get<std::string>()) != gpu) return -1;
  const json latency = evaluation.value("performance", json::object()).value("latency_ms", json());
  return latency.is_number() && latency.get<double>() > 0 ? latency.get<double>() : -1;
}

}  // namespace

bool baseline_latencies::covers(const std::vector<tasks::workload>& workloads) const {
  return std::all_of(workloads.begin(), workloads.end(), [&](const tasks::workload& w) { return latency_ms.contains(w.uuid); });
}

baseline_latencies baseline_from_traces(const fs::path& root, const std::string& definition, const std::string& solution,
                                        const std::string& gpu_name) {
  baseline_latencies out;
  out.solution = solution;
  out.source = "dataset traces on " + gpu_name;
  const std::string gpu = to_lower(gpu_name);
  std::error_code ec;
  if (!fs::is_directory(root / "traces", ec)) return out;
  for (fs::recursive_directory_iterator it(root / "traces", ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".jsonl") continue;
    auto lines = store::read_jsonl(it->path());
    if (!lines) continue;
    for (const store::jsonl_record& record : lines->records) {
      const double latency = passed_latency(record.value, definition, solution, gpu);
      if (latency < 0) continue;
      const json workload = record.value.value("workload", json::object());
      if (!workload.is_object() || !workload.value("uuid", json()).is_string()) continue;
      const std::string uuid = workload["uuid"].get<std::string>();
      const auto known = out.latency_ms.find(uuid);
      if (known == out.latency_ms.end() || latency < known->second) out.latency_ms[uuid] = latency;
    }
  }
  return out;
}

std::string baseline_targets_text(const baseline_latencies& baseline, const std::vector<tasks::workload>& workloads,
                                  const tasks::definition& def) {
  std::string text;
  for (const tasks::workload& w : workloads) {
    const auto latency = baseline.latency_ms.find(w.uuid);
    if (latency == baseline.latency_ms.end()) continue;
    std::string axes;
    for (const tasks::axis& a : def.axes) {
      if (a.is_const) continue;
      axes += (axes.empty() ? "" : ", ") + a.name + "=" + std::to_string(w.axes.at(a.name));
    }
    char number[32];
    std::snprintf(number, sizeof number, "%.4g", latency->second);
    text += "workload " + w.uuid + ": target_latency_ms <= " + number + " (spec: axes{" + axes + "})\n";
  }
  return text;
}

}  // namespace ksearch::search
