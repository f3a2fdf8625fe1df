#include "ksearch/report/palette.h"

namespace ksearch::report {

std::string_view status_color(tasks::evaluation_status status) {
  using enum tasks::evaluation_status;
  switch (status) {
    case passed: return "#16a34a";
    case compile_error: return "#f59e0b";
    case incorrect_shape:
    case incorrect_numerical:
    case incorrect_dtype: return "#dc2626";
    case runtime_error: return "#7f1d1d";
    case timeout: return "#7c3aed";
    case llm_error: return "#475569";
    case harness_error: return "#92400e";
    case compiled: return "#0d9488";
    case no_candidate: break;
  }
  return "#9ca3af";
}

}  // namespace ksearch::report
