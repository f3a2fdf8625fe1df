// ksearch/eval/nvrtc_compiler.h — compiles CUDA device code to a cubin with NVRTC.
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
  std::vector<std::string> extra_options;  // e.g. "-DTILE=64", "--use_fast_math"
};

struct compile_output {
  std::string cubin;                // the binary, ready for cuModuleLoadData
  std::string log;                  // warnings (may be empty)
  double compile_ms = 0;            // wall time of nvrtcCompileProgram [milliseconds]
};

/// `log` cut to at most about `max_chars`: the head and the tail are kept (the first error and the
/// summary are usually where the reader looks), cut at line breaks, with a line in between saying
/// how much was left out. Shorter logs come back unchanged.
[[nodiscard]] std::string trim_compile_log(std::string_view log, std::size_t max_chars = 4000);

/// Compiles `request.source`. On failure the error's subject is the file name, the problem holds
/// the NVRTC error and the compile log (trimmed to a few KB).
[[nodiscard]] result<compile_output> compile_cuda(const compile_request& request);

}  // namespace ksearch::eval
