// ksearch/bench/ncu_csv.h — reads what `ncu --csv` prints, and turns kernel durations into
// per-call times.
//
// Nsight Compute's CSV (the "details" page) has one row per (profiled kernel launch, metric) under a
// header row such as
//   "ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size",
//   "Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"
// The column set differs between ncu versions (older ones add "Kernel Time", newer ones rule
// columns), so columns are found by name. Whatever comes before the header and every line that is
// not a quoted CSV row (ncu's "==PROF==" and "==ERROR==" lines, the profiled program's own output)
// is skipped. Values may carry thousands separators ("12,345.5").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::bench {

struct ncu_row {
  std::int64_t id = 0;  // ncu's result ID: launches are numbered in the order they were profiled
  std::string kernel_name;
  std::string metric_name;
  std::string unit;  // as printed: "nsecond", "usecond", "msecond", "second", "byte", ...
  double value = 0;  // in `unit`
};

/// The fields of one CSV line (RFC 4180: fields may be quoted, a quote inside quotes is doubled).
/// Error: a quote left open or text right after a closing quote.
[[nodiscard]] result<std::vector<std::string>> split_csv_line(std::string_view line);

/// Every metric row of `text`. Errors (subject "ncu csv line N"): a header without "ID",
/// "Kernel Name", "Metric Name", "Metric Unit" or "Metric Value", a row with fewer fields than the
/// header, an ID or value that is not a number. No header or no rows (nothing was profiled) is not
/// an error: the list is empty.
[[nodiscard]] result<std::vector<ncu_row>> parse_ncu_csv(std::string_view text);

/// `value` [unit] in milliseconds. Units: nsecond/ns, usecond/us, msecond/ms, second/s.
[[nodiscard]] result<double> duration_ms(double value, std::string_view unit);

/// GPU time per call [ms] of a solution whose call launches `call_kernels` (kernel names, in launch
/// order): the rows of `metric` sorted by ID, cut into consecutive groups of call_kernels.size()
/// rows, each group's durations summed. A trailing incomplete group is dropped (the launch window
/// ended inside a call). Errors: empty call_kernels, a group whose kernel names differ from
/// call_kernels (the window did not start at a call boundary), a unit that is not a duration.
[[nodiscard]] result<std::vector<double>> call_durations_ms(std::span<const ncu_row> rows, std::string_view metric,
                                                            std::span<const std::string> call_kernels);

/// The first line of `output` that holds "==ERROR==" (ncu's own error report, for example
/// ERR_NVGPUCTRPERM when profiling is not permitted), without the marker; empty when none.
[[nodiscard]] std::string first_ncu_error(std::string_view output);

}  // namespace ksearch::bench
