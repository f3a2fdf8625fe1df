// ksearch/bench/ncu_profile.h — runs a program under Nsight Compute and returns the GPU time of each
// profiled call of a solution.
//
// Puts ncu_command.h, run_command (common/subprocess.h) and ncu_csv.h together: ncu writes its CSV
// to a log file in a scratch folder (stdout is read instead when the file is missing, for ncu
// versions that print the CSV there anyway), the rows are grouped into calls of the solution's
// kernels, and ncu's own error line is kept for the report when nothing was profiled
// (ERR_NVGPUCTRPERM: profiling not permitted).
//
// Thread-safety: independent calls may run on separate threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/subprocess.h"

namespace ksearch::bench {

struct ncu_profile {
  std::vector<double> calls_ms;  // gpu__time_duration summed per call, per profiled call [ms]
  command_result run;            // how ncu ended (its exit code is the profiled program's)
  std::string ncu_error;         // ncu's first "==ERROR==" line, without the marker; empty when none
};

/// Runs `program` under `ncu` with the timing-phase window (ncu_command.h) for a solution whose call
/// launches `call_kernels` in order, profiling up to `calls` calls, and stops it after `timeout`.
/// Errors: no scratch folder, ncu cannot start, its CSV does not parse, or the profiled launches do
/// not line up with call_kernels. A run that profiled nothing is not an error: calls_ms is empty and
/// run / ncu_error say why.
[[nodiscard]] result<ncu_profile> profile_calls(const std::filesystem::path& ncu,
                                                const std::vector<std::string>& program,
                                                const std::vector<std::string>& call_kernels, std::size_t calls,
                                                std::chrono::milliseconds timeout);

}  // namespace ksearch::bench
