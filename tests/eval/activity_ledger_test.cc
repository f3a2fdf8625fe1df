#include "ksearch/eval/gpu/activity_ledger.h"

#include <gtest/gtest.h>

namespace ksearch::eval {
namespace {

TEST(ActivityLedger, SpanRunsFromTheFirstStartToTheLastEndOfTheCallsWork) {
  activity_ledger ledger;
  // Records arrive in any order: the kernels before the correlations that name their call.
  ledger.add_activity({.correlation = 11, .start_ns = 5'000, .end_ns = 9'000});   // merge kernel
  ledger.add_activity({.correlation = 10, .start_ns = 1'000, .end_ns = 4'000});   // split kernel
  ledger.add_activity({.correlation = 9, .start_ns = 800, .end_ns = 900});        // workspace memset
  ledger.add_correlation(9, 7);
  ledger.add_correlation(10, 7);
  ledger.add_correlation(11, 7);
  const activity_span span = ledger.take(7);
  EXPECT_EQ(span.activities, 3u);
  EXPECT_EQ(span.first_start_ns, 800u);
  EXPECT_EQ(span.last_end_ns, 9'000u);
  EXPECT_DOUBLE_EQ(span.milliseconds(), 0.0082);  // the gaps between them included
  EXPECT_EQ(ledger.pending(), 0u);
}

TEST(ActivityLedger, WorkQueuedOutsideAnyCallIsNotPartOfIt) {
  activity_ledger ledger;
  ledger.add_activity({.correlation = 20, .start_ns = 0, .end_ns = 60'000});  // the L2 flush, no call id
  ledger.add_activity({.correlation = 21, .start_ns = 61'000, .end_ns = 73'000});
  ledger.add_correlation(21, 3);
  const activity_span span = ledger.take(3);
  EXPECT_EQ(span.activities, 1u);
  EXPECT_DOUBLE_EQ(span.milliseconds(), 0.012);
  EXPECT_EQ(ledger.pending(), 0u) << "the flush's record is dropped, not kept for a later call";
}

TEST(ActivityLedger, OtherCallsKeepTheirRecordsUntilTheirOwnTake) {
  activity_ledger ledger;
  ledger.add_correlation(30, 1);
  ledger.add_correlation(31, 2);
  ledger.add_activity({.correlation = 30, .start_ns = 100, .end_ns = 200});
  ledger.add_activity({.correlation = 31, .start_ns = 150, .end_ns = 450});
  EXPECT_EQ(ledger.take(1).activities, 1u);
  EXPECT_EQ(ledger.pending(), 1u);
  const activity_span second = ledger.take(2);
  EXPECT_EQ(second.activities, 1u);
  EXPECT_EQ(second.first_start_ns, 150u);
  EXPECT_EQ(second.last_end_ns, 450u);
}

TEST(ActivityLedger, ACallWithNoRecordsHasAnEmptySpan) {
  activity_ledger ledger;
  ledger.add_correlation(40, 5);  // the launch API call, but its kernel's record never came
  const activity_span span = ledger.take(5);
  EXPECT_EQ(span.activities, 0u);
  EXPECT_EQ(ledger.take(5).activities, 0u) << "a taken call is forgotten";
}

}  // namespace
}  // namespace ksearch::eval
