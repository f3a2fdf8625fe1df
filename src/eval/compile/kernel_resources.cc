// Implementation details
//
// ptxas -v prints, per entry function:
//   ptxas info    : Compiling entry function 'k' for 'sm_90a'
//   ptxas info    : Function properties for k
//   ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
//   ptxas info    : Used 72 registers, used 1 barriers, 1024 bytes smem
// (plus lines for gmem, cmem, compile time). The parser keys on the phrases, not on positions,
// since the exact layout has changed between CUDA releases.

#include "ksearch/eval/compile/kernel_resources.h"

#include <cstdlib>
#include <regex>

#include "ksearch/common/json.h"

namespace ksearch::eval {

namespace {

long number_before(const std::string& line, const char* phrase) {
  const std::regex pattern(std::string(R"((\d+)\s+)") + phrase);
  std::smatch match;
  return std::regex_search(line, match, pattern) ? std::strtol(match[1].str().c_str(), nullptr, 10) : -1;
}

}  // namespace

std::string kernel_resources::summary() const {
  std::string text = name + ": " + std::to_string(registers) + " registers, " + std::to_string(static_smem_bytes) +
                     " B static smem, " + std::to_string(stack_frame_bytes) + " B stack, ";
  if (spill_store_bytes == 0 && spill_load_bytes == 0) return text + "no spills";
  return text + "spills " + std::to_string(spill_store_bytes) + " B stored / " + std::to_string(spill_load_bytes) +
         " B loaded";
}

std::vector<kernel_resources> parse_ptxas_report(std::string_view log) {
  static const std::regex entry(R"(Compiling entry function '([^']+)')");
  std::vector<kernel_resources> kernels;
  std::size_t begin = 0;
  while (begin < log.size()) {
    std::size_t end = log.find('\n', begin);
    if (end == std::string_view::npos) end = log.size();
    const std::string line(log.substr(begin, end - begin));
    begin = end + 1;
    if (line.find("ptxas") == std::string::npos) continue;

    std::smatch match;
    if (std::regex_search(line, match, entry)) {
      kernels.push_back({.name = match[1].str()});
      continue;
    }
    if (kernels.empty()) continue;
    kernel_resources& k = kernels.back();
    if (long v = number_before(line, "bytes stack frame"); v >= 0) k.stack_frame_bytes = v;
    if (long v = number_before(line, "bytes spill stores"); v >= 0) k.spill_store_bytes = v;
    if (long v = number_before(line, "bytes spill loads"); v >= 0) k.spill_load_bytes = v;
    if (long v = number_before(line, "registers"); v >= 0) k.registers = static_cast<int>(v);
    if (long v = number_before(line, "barriers"); v >= 0) k.barriers = static_cast<int>(v);
    if (long v = number_before(line, "bytes smem"); v >= 0) k.static_smem_bytes = v;
  }
  return kernels;
}

std::string strip_ptxas_info(std::string_view log) {
  std::string kept;
  std::size_t begin = 0;
  while (begin < log.size()) {
    std::size_t end = log.find('\n', begin);
    if (end == std::string_view::npos) end = log.size();
    const std::string_view line = log.substr(begin, end - begin);
    begin = end + 1;
    const bool info = line.starts_with("ptxas info") || line.starts_with("ptxas         .");
    if (!info) {
      kept += line;
      kept += '\n';
    }
  }
  while (!kept.empty() && kept.back() == '\n') kept.pop_back();
  return kept;
}

json to_json(const std::vector<kernel_resources>& kernels) {
  json out = json::array();
  for (const kernel_resources& k : kernels) {
    out.push_back({{"name", k.name}, {"registers", k.registers}, {"static_smem_bytes", k.static_smem_bytes},
                   {"stack_frame_bytes", k.stack_frame_bytes}, {"spill_store_bytes", k.spill_store_bytes},
                   {"spill_load_bytes", k.spill_load_bytes}, {"barriers", k.barriers}});
  }
  return out;
}

std::vector<kernel_resources> kernel_resources_from_json(const json& list) {
  std::vector<kernel_resources> out;
  if (!list.is_array()) return out;
  for (const json& k : list) {
    if (!k.is_object()) continue;
    out.push_back({.name = k.value("name", ""),
                   .registers = k.value("registers", 0),
                   .barriers = k.value("barriers", 0),
                   .static_smem_bytes = k.value("static_smem_bytes", 0L),
                   .stack_frame_bytes = k.value("stack_frame_bytes", 0L),
                   .spill_store_bytes = k.value("spill_store_bytes", 0L),
                   .spill_load_bytes = k.value("spill_load_bytes", 0L)});
  }
  return out;
}

}  // namespace ksearch::eval
