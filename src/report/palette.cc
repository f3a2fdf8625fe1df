#include "ksearch/report/palette.h"

namespace ksearch::report {

std::string_view status_color(std::string_view status) {
  if (status == "PASSED") return "#16a34a";
  if (status == "COMPILE_ERROR") return "#f59e0b";
  if (status.starts_with("INCORRECT")) return "#dc2626";
  if (status == "RUNTIME_ERROR") return "#7f1d1d";
  if (status == "TIMEOUT") return "#7c3aed";
  if (status == "LLM_ERROR") return "#475569";
  if (status == "HARNESS_ERROR") return "#92400e";
  if (status == "COMPILED") return "#0d9488";
  return "#9ca3af";
}

}  // namespace ksearch::report
