#include "ksearch/llm/retry_policy.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ksearch::llm {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

[[nodiscard]] std::chrono::system_clock::time_point at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  using namespace std::chrono;
  return sys_days(year(y) / month(m) / day(d)) + hours(hh) + minutes(mm) + seconds(ss);
}

TEST(RetryPolicy, RetryableStatusesAreTheTransientOnes) {
  for (long status : {408L, 409L, 429L, 500L, 502L, 503L, 504L, 599L}) EXPECT_TRUE(is_retryable_status(status)) << status;
  for (long status : {200L, 301L, 400L, 401L, 403L, 404L, 413L, 422L, 600L}) EXPECT_FALSE(is_retryable_status(status)) << status;
}

TEST(RetryPolicy, RetryAfterInSeconds) {
  const auto now = at(2025, 1, 15, 12, 0, 0);
  EXPECT_EQ(parse_retry_after("120", now), milliseconds(120'000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("1.5", now), milliseconds(1'500));
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("5s", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  // Absurd values are capped instead of overflowing.
  EXPECT_EQ(parse_retry_after("99999999999999999999", now), milliseconds(10'000'000'000LL));
}

TEST(RetryPolicy, RetryAfterAsAnHttpDateInEveryAcceptedForm) {
  const auto now = at(1994, 11, 6, 8, 49, 0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(37'000));  // IMF-fixdate
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), milliseconds(37'000));  // RFC 850
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), milliseconds(37'000));      // asctime
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 09:49:00 GMT", now), milliseconds(3'600'000));
}

TEST(RetryPolicy, HttpDateInThePastAsksForNoWaitAndNonsenseIsIgnored) {
  const auto now = at(2025, 1, 15, 12, 0, 0);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Thu, 30 Feb 2025 07:28:00 GMT", now), std::nullopt);  // no such day
  EXPECT_EQ(parse_retry_after("Wed, 15 Foo 2025 07:28:00 GMT", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 15 Jan 2025 25:28:00 GMT", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 15 Jan 2025 12:00:30 PST", now), std::nullopt);
}

TEST(RetryPolicy, BackoffDoublesUpToTheCap) {
  retry_options options;
  options.initial_backoff = 500ms;
  options.max_backoff = 3s;
  const retry_schedule schedule(options, 1);
  EXPECT_EQ(schedule.base_backoff(1), 500ms);
  EXPECT_EQ(schedule.base_backoff(2), 1s);
  EXPECT_EQ(schedule.base_backoff(3), 2s);
  EXPECT_EQ(schedule.base_backoff(4), 3s);
  EXPECT_EQ(schedule.base_backoff(60), 3s);  // no overflow however many retries
}

TEST(RetryPolicy, JitterShortensWaitsWithinItsFraction) {
  retry_options options;
  options.initial_backoff = 1s;
  options.jitter = 0.5;
  options.max_retries = 1000;
  options.max_retry_time = 1000h;
  retry_schedule schedule(options, 42);
  milliseconds lowest = 1h;
  milliseconds highest = 0ms;
  for (int i = 0; i < 500; ++i) {
    const retry_decision d = schedule.next(1, 0ms, std::nullopt);
    ASSERT_TRUE(d.retry);
    lowest = std::min(lowest, d.wait);
    highest = std::max(highest, d.wait);
  }
  EXPECT_GE(lowest, 500ms);
  EXPECT_LE(highest, 1s);
  EXPECT_GT(highest - lowest, 300ms);  // the waits really are spread out
}

TEST(RetryPolicy, SameSeedSameWaits) {
  retry_options options;
  retry_schedule a(options, 7);
  retry_schedule b(options, 7);
  for (int attempt = 1; attempt <= 5; ++attempt) {
    EXPECT_EQ(a.next(attempt, 0ms, std::nullopt).wait, b.next(attempt, 0ms, std::nullopt).wait);
  }
}

TEST(RetryPolicy, GivesUpWhenRetriesRunOut) {
  retry_options options;
  options.max_retries = 2;
  options.jitter = 0;
  retry_schedule schedule(options, 1);
  EXPECT_TRUE(schedule.next(1, 0ms, std::nullopt).retry);
  EXPECT_TRUE(schedule.next(2, 0ms, std::nullopt).retry);
  const retry_decision last = schedule.next(3, 0ms, std::nullopt);
  EXPECT_FALSE(last.retry);
  EXPECT_EQ(last.reason, "no retries left (--max-retries 2)");

  options.max_retries = 0;
  retry_schedule none(options, 1);
  EXPECT_FALSE(none.next(1, 0ms, std::nullopt).retry);
}

TEST(RetryPolicy, ServerWaitReplacesTheBackoff) {
  retry_options options;
  options.initial_backoff = 1s;
  options.jitter = 0.5;
  retry_schedule schedule(options, 1);
  const retry_decision d = schedule.next(1, 0ms, 42s);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.wait, 42s);
  EXPECT_EQ(schedule.next(2, 0ms, 0ms).wait, 0ms);
}

TEST(RetryPolicy, NoAttemptStartsPastTheRetryTime) {
  retry_options options;
  options.initial_backoff = 10s;
  options.jitter = 0;
  options.max_retry_time = 60s;
  retry_schedule schedule(options, 1);
  EXPECT_TRUE(schedule.next(1, 50s, std::nullopt).retry);  // 50 + 10 = 60: still allowed
  const retry_decision late = schedule.next(1, 51s, std::nullopt);
  EXPECT_FALSE(late.retry);
  EXPECT_EQ(late.reason, "retry time used up (--max-retry-time 60 s)");
  const retry_decision patient = schedule.next(1, 0ms, 61s);
  EXPECT_FALSE(patient.retry);
  EXPECT_EQ(patient.reason, "the server asked to wait 61 s (Retry-After), past --max-retry-time 60 s");
}

}  // namespace
}  // namespace ksearch::llm
