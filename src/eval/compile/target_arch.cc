#include "ksearch/eval/compile/target_arch.h"

#include <array>
#include <utility>

#include "ksearch/common/text.h"

namespace ksearch::eval {

std::string arch_for_gpu_name(std::string_view gpu_name) {
  const std::string upper = to_upper(gpu_name);
  // Order matters: "GB200" must match before "B200", "L40S" before "L4".
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> table{{
      {"GB200", "sm_100a"}, {"B200", "sm_100a"}, {"B100", "sm_100a"},
      {"H100", "sm_90a"},   {"H200", "sm_90a"},  {"H800", "sm_90a"},
      {"A100", "sm_80"},    {"L40", "sm_89"},    {"4090", "sm_89"},
  }};
  for (const auto& [name, arch] : table) {
    if (upper.find(name) != std::string::npos) return std::string(arch);
  }
  if (upper == "L4" || upper.ends_with(" L4")) return "sm_89";
  return "sm_90a";
}

}  // namespace ksearch::eval
