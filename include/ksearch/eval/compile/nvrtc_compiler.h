// ksearch/eval/compile/nvrtc_compiler.h — compiles CUDA device code to a cubin with NVRTC.
//
// NVRTC ships with the toolkit and needs no GPU, so compile-only paths work on CI. A failed
// compile is an error value that carries the (trimmed) compiler log, ready to show to the LLM.
//
// Thread-safety: compile_cuda may be called from several threads at once (NVRTC programs are
// independent).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/kernel_resources.h"

namespace ksearch::eval {

struct nvrtc_version {
  int major = 0;
  int minor = 0;
};

/// The version of the NVRTC library actually loaded.
[[nodiscard]] nvrtc_version loaded_nvrtc_version();

struct compile_request {
  std::string source;               // device code, the whole translation unit
  std::string file_name = "kernel.cu";  // used in diagnostics only
  std::string arch = "sm_90a";      // --gpu-architecture; a real SM ("sm_XY[a]") so a cubin comes out
  std::vector<std::string> extra_options;  // e.g. "-DTILE=64", "--use_fast_math"; include-path
                                           // options are refused (see source_policy.h)
};

struct compile_output {
  std::string cubin;                // the binary, ready for cuModuleLoadData
  std::string log;                  // warnings (may be empty); ptxas's resource report is moved to `kernels`
  std::vector<kernel_resources> kernels;  // registers, smem, spills per entry function
  double compile_ms = 0;            // wall time of nvrtcCompileProgram [milliseconds]
  bool from_cache = false;          // no compile ran: the output came from a cache (compile_ms is 0)
};

/// Sets CUDA_CACHE_DISABLE=1 for this process. Where a CUDA driver is installed, NVRTC serves a
/// compile it has seen before (in this process, or in ~/.nv/ComputeCache) from the driver's
/// compute cache without running ptxas, so the compile log lacks ptxas's resource report (seen on
/// an H200 box with CUDA 13.0: a second identical compile reported no kernels). ksearch keeps its
/// own cubin cache (cubin_cache.h) with the report, so the driver's is not needed. Call it at the
/// start of main, before any thread starts and before the first compile.
void disable_cuda_compute_cache();

/// `log` cut to at most about `max_chars`: the head and the tail are kept (the first error and the
/// summary are usually where the reader looks), cut at line breaks, with a line in between saying
/// how much was left out. Shorter logs come back unchanged.
[[nodiscard]] std::string trim_compile_log(std::string_view log, std::size_t max_chars = 4000);

/// Compiles `request.source` after checking its includes (only CUDA Toolkit headers; the toolkit's
/// folders are NVRTC's only include paths). Adds -std=c++17, -lineinfo and ptxas -v. On failure
/// the error's subject is the file name (file:line for a refused include), the problem holds the
/// NVRTC error and the compile log (trimmed to a few KB).
[[nodiscard]] result<compile_output> compile_cuda(const compile_request& request);

}  // namespace ksearch::eval
