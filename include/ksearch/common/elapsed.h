// ksearch/common/elapsed.h — host wall time since a moment, in milliseconds.
//
// Thread-safety: pure function.
#pragma once

#include <chrono>

namespace ksearch {

/// Milliseconds of std::chrono::steady_clock since `start`.
[[nodiscard]] inline double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ksearch
