// Test support: a retry_clock whose sleeps pass instantly and are recorded.
//
// now() is the real steady clock plus every wait slept so far, so "elapsed" includes the waits
// the code under test asked for; calendar_now() is a fixed date plus the same waits, so an
// HTTP-date Retry-After converts to an exact, checkable wait.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "ksearch/llm/retry_policy.h"

namespace ksearch::test_support {

class virtual_retry_clock final : public llm::retry_clock {
 public:
  /// 2025-01-15 12:00:00 UTC, the calendar time before any sleep.
  static std::chrono::system_clock::time_point calendar_start();

  [[nodiscard]] std::chrono::steady_clock::time_point now() override;
  [[nodiscard]] std::chrono::system_clock::time_point calendar_now() override;
  void sleep_for(std::chrono::milliseconds wait) override;

  /// Every wait asked for, in order.
  [[nodiscard]] std::vector<std::chrono::milliseconds> sleeps() const;

 private:
  mutable std::mutex mutex_;
  std::chrono::milliseconds slept_{0};
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace ksearch::test_support
