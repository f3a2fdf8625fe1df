// tests/llm/overlap_meter.h — proves that calls overlapped, from inside a test server's handler.
//
// A handler calls hold() for each request: the request is held until `expected` requests are
// being handled at once, or `patience` has passed, and the most seen together is recorded.
// Calls that really run in parallel meet here and are released together at once; calls that
// are serialised somewhere each wait out the patience, alone, and most_in_flight() stays 1.
// Waiting for a meeting, not for a fixed delay, keeps the tests fast and free of timing luck on a
// loaded machine.
//
// Thread-safety: hold() is called from the server's connection threads, the rest from any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace ksearch::test_support {

class overlap_meter {
 public:
  overlap_meter(int expected, std::chrono::milliseconds patience) : expected_(expected), patience_(patience) {}

  void hold() {
    std::unique_lock lock(mutex_);
    ++in_flight_;
    most_ = std::max(most_, in_flight_);
    changed_.notify_all();
    changed_.wait_for(lock, patience_, [this] { return most_ >= expected_; });
    --in_flight_;
  }

  /// The most requests held at the same time so far.
  [[nodiscard]] int most_in_flight() const {
    std::lock_guard lock(mutex_);
    return most_;
  }

 private:
  const int expected_;
  const std::chrono::milliseconds patience_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int in_flight_ = 0;
  int most_ = 0;
};

}  // namespace ksearch::test_support
