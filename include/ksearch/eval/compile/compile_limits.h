// ksearch/eval/compile/compile_limits.h — the time and memory one candidate compile may take.
//
// Every compile of candidate code runs in a child process bounded by these limits
// (eval/compile/bounded_compile.h): compile-only rounds, the evaluation worker and the bench. They
// travel in the evaluation request (eval/eval_request.h), so this header pulls in nothing else.
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstddef>

namespace ksearch::eval {

struct compile_limits {
  std::chrono::seconds time{120};  // --compile-timeout-s
  std::size_t memory_mb = 8192;    // --compile-memory-mb: the compiling process's address space [MiB]
};

}  // namespace ksearch::eval
