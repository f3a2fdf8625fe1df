// ksearch/llm/retry_policy.h — when to try an LLM call again, and how long to wait first.
//
// A search runs for hours, so one flaky response must not end it: network errors, timeouts and
// HTTP 408/409/429/5xx are retried with exponential backoff and jitter, up to --max-retries
// retries and never starting an attempt after --max-retry-time has passed since the first one.
// A server's Retry-After (delay-seconds or an HTTP-date) or retry-after-ms replaces the backoff;
// when it asks for more time than is left, the call gives up at once and says so.
//
// The clock is an interface so that tests can check waits of seconds without sleeping them.
//
// Thread-safety: retry_schedule holds its own random generator; one per call, one thread.
// real_retry_clock is stateless and safe to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace ksearch::llm {

struct retry_options {
  int max_retries = 8;                                    // retries after the first attempt; 0 = none
  std::chrono::milliseconds max_retry_time{15 * 60'000};  // no attempt starts later than this after the first
  std::chrono::milliseconds initial_backoff{1'000};       // wait before the first retry (before jitter)
  std::chrono::milliseconds max_backoff{60'000};          // the doubling stops here
  double jitter = 0.5;  // each wait is shortened by a random fraction in [0, jitter): spreads out clients
};

/// Time as the retry loop sees it.
class retry_clock {
 public:
  virtual ~retry_clock() = default;
  [[nodiscard]] virtual std::chrono::steady_clock::time_point now() = 0;
  /// Calendar time, to turn an HTTP-date Retry-After into a wait.
  [[nodiscard]] virtual std::chrono::system_clock::time_point calendar_now() = 0;
  virtual void sleep_for(std::chrono::milliseconds wait) = 0;
};

/// The real clocks and std::this_thread::sleep_for.
class real_retry_clock final : public retry_clock {
 public:
  [[nodiscard]] std::chrono::steady_clock::time_point now() override;
  [[nodiscard]] std::chrono::system_clock::time_point calendar_now() override;
  void sleep_for(std::chrono::milliseconds wait) override;
};

/// 408, 409, 429 and every 5xx.
[[nodiscard]] bool is_retryable_status(long status);

/// The wait a Retry-After value asks for: delay-seconds ("120", "1.5") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime forms) relative to
/// `now` (a date in the past asks for no wait). nullopt when empty or unreadable.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                       std::chrono::system_clock::time_point now);

struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds wait{0};  // how long to sleep before the next attempt (when retry)
  std::string reason;                 // why not (when !retry), e.g. "no retries left (--max-retries 8)"
};

class retry_schedule {
 public:
  /// `seed` drives the jitter; give a fixed one for reproducible tests.
  retry_schedule(const retry_options& options, std::uint64_t seed);

  /// Decides after a failed attempt. `attempts_made` counts attempts so far (>= 1), `elapsed` is
  /// the time since the first one started, `server_wait` what the server asked for, if anything.
  [[nodiscard]] retry_decision next(int attempts_made, std::chrono::milliseconds elapsed,
                                    std::optional<std::chrono::milliseconds> server_wait);

  /// The backoff before retry number `retry` (1-based) without jitter: initial * 2^(retry-1),
  /// capped at max_backoff.
  [[nodiscard]] std::chrono::milliseconds base_backoff(int retry) const;

 private:
  retry_options options_;
  std::mt19937_64 random_;
};

}  // namespace ksearch::llm
