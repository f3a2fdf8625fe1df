// ksearch/eval/compile/worker_compiler.h — an evaluation worker's compiles, remembered across requests.
//
// Compiled cubins are kept per worker, keyed by the exact source and architecture: the reference
// (the same in every request of a search) is compiled once per worker, not once per candidate.
// Behind that map sits the on-disk cubin cache (eval/compile/cubin_cache.h), which survives a worker's
// restart and a resumed search. When neither solution is in the map, the reference compiles on a
// second thread while the candidate compiles on the caller's (std::async: only the first request
// of a worker pays for the thread, and an idle pool would be kept alive in every worker for nothing).
// A compile that does happen runs in a child process bounded by the request's limits
// (eval/compile/bounded_compile.h): a compile bomb ends as a compile error and the worker goes on.
//
// Thread-safety: one caller at a time.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/compile_limits.h"
#include "ksearch/eval/compile/cubin_cache.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {

class worker_compiler {
 public:
  /// `disk` may be null (KSEARCH_CUBIN_CACHE=off).
  explicit worker_compiler(std::unique_ptr<cubin_cache> disk) : disk_(std::move(disk)) {}

  /// `source` compiled for `arch` within `limits`, or its cubin from this worker's memory
  /// (compile_ms 0, from_cache), then from the disk cache.
  [[nodiscard]] result<compile_output> compile(const std::string& source, const std::string& arch,
                                               const compile_limits& limits);
  /// The reference's and the candidate's compiles, both at once when neither is remembered.
  [[nodiscard]] std::array<result<compile_output>, 2> compile_pair(const std::string& reference,
                                                                   const std::string& candidate,
                                                                   const std::string& arch,
                                                                   const compile_limits& limits);

 private:
  void remember(const std::string& source, const std::string& arch, const result<compile_output>& compiled);

  std::map<std::string, compile_output> compiled_;  // key: arch + '\n' + source
  std::unique_ptr<cubin_cache> disk_;
};

}  // namespace ksearch::eval
