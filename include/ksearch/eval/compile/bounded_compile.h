// ksearch/eval/compile/bounded_compile.h — an NVRTC compile that a time and a memory limit can end.
//
// NVRTC runs inside the process that calls it, and a candidate of a few lines can make it run for
// many minutes and gigabytes (a macro that expands to a million statements). compile_with_limits
// runs the compile in a child process: the child lowers its own address-space limit
// (RLIMIT_AS) before compiling, and the parent kills its process group at the deadline. A compile
// that runs out of either is an ordinary compile error that names the limit and its flag, so the
// search goes on. The child is this executable started as `<exe> __compile REQUEST OUTPUT MB`
// (ksearch's own hidden command, and the test binaries' main understands it too); the files go
// through a private scratch folder.
//
// Thread-safety: compile_with_limits may be called from several threads at once.
#pragma once

#include <cstddef>
#include <filesystem>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/compile_limits.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {

/// The name of the hidden command that compiles one request in a child process.
inline constexpr const char* compile_helper_command = "__compile";

/// compile_cuda(request) in a child process bounded by `limits`. A compile that fails, times out or
/// runs out of memory is an error whose subject is the request's file name.
[[nodiscard]] result<compile_output> compile_with_limits(const compile_request& request, const compile_limits& limits);

/// The child's side: reads the request from `request_file`, limits its address space to
/// `memory_mb`, compiles, and writes the outcome into `output_dir` (kernel.cubin and result.json,
/// or error.json). Returns the process exit code: 0 compiled, 1 compile error, 2 bad arguments.
[[nodiscard]] int run_compile_helper(const std::filesystem::path& request_file, const std::filesystem::path& output_dir,
                                     std::size_t memory_mb);

}  // namespace ksearch::eval
