// ksearch/bench/compile_timing.h — how long a kernel takes to compile with NVRTC (as the evaluator
// compiles every candidate) and with nvcc (a separate process, as a build would).
//
// Both produce a cubin for the same architecture from the same source with -std=c++17 -lineinfo.
// The NVRTC time is the wall time of eval::compile_with_limits (the bounded child process started,
// the include check, NVRTC's program creation and compile, the cubin and log read back); the nvcc
// time is the wall time of the nvcc process, start to exit (driver, front end, cicc, ptxas).
// Neither reuses anything between runs: each run compiles afresh.
//
// Thread-safety: independent calls may run on separate threads (compile_with_limits allows it).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "ksearch/common/scratch_dir.h"
#include "ksearch/common/error.h"
#include "ksearch/eval/compile/compile_limits.h"

namespace ksearch::bench {

struct compile_timing {
  std::vector<double> runs_ms;  // each run's wall time [ms], in order
  double median_ms = 0;
};

/// Compiles `source` with eval::compile_with_limits for `arch` `runs` times. Error: a compile fails
/// or passes a limit (the compiler's message).
[[nodiscard]] result<compile_timing> time_nvrtc(const std::string& source, const std::string& arch, int runs,
                                                const eval::compile_limits& limits = {});

/// nvcc -cubin -arch=<arch> -std=c++17 -lineinfo -o <cubin> <source>
[[nodiscard]] std::vector<std::string> nvcc_argv(const std::filesystem::path& nvcc, const std::string& arch,
                                                 const std::filesystem::path& source,
                                                 const std::filesystem::path& cubin);

/// Writes `source` to `scratch`/kernel.cu and compiles it with nvcc_argv `runs` times, each within
/// `timeout`. Error: nvcc cannot start, fails (with the end of its output) or times out.
[[nodiscard]] result<compile_timing> time_nvcc(const std::filesystem::path& nvcc, const std::string& source,
                                               const std::string& arch, int runs, const scratch_dir& scratch,
                                               std::chrono::milliseconds timeout);

}  // namespace ksearch::bench
