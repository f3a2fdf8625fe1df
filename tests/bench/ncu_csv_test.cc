#include "ksearch/bench/ncu_csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ksearch::bench {
namespace {

// What `ncu --csv --page details --print-units base --metrics gpu__time_duration.sum` prints for two
// calls of a two-kernel solution profiled in ksearch's worker, with ncu's own messages and the
// profiled program's output around the CSV, as on the terminal.
const std::string two_kernel_sample = R"csv(==PROF== Connected to process 41122 (./build/ksearch)
==PROF== Connected to process 41130 (./build/ksearch)
==PROF== Profiling "gqa_split_kv": 0%....50%....100% - 1 pass
==PROF== Profiling "gqa_merge_splits": 0%....50%....100% - 1 pass
==PROF== Profiling "gqa_split_kv": 0%....50%....100% - 1 pass
==PROF== Profiling "gqa_merge_splits": 0%....50%....100% - 1 pass
==PROF== Disconnected from process 41130
definition gqa_decode_bench  candidate gqa_decode_bench_split_kv  reference gqa_decode_bench_reference
==PROF== Disconnected from process 41122
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"
"0","41130","ksearch","127.0.0.1","gqa_split_kv","1","13","(128, 1, 1)","(64, 8, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","nsecond","11,392"
"1","41130","ksearch","127.0.0.1","gqa_merge_splits","1","13","(128, 1, 1)","(8, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","nsecond","2,944"
"2","41130","ksearch","127.0.0.1","gqa_split_kv","1","13","(128, 1, 1)","(64, 8, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","nsecond","11,520"
"3","41130","ksearch","127.0.0.1","gqa_merge_splits","1","13","(128, 1, 1)","(8, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","nsecond","3,008"
)csv";

TEST(NcuCsv, SplitsQuotedFieldsWithCommasAndDoubledQuotes) {
  auto fields = split_csv_line(R"csv("ID","(128, 1, 1)","say ""hi""",plain,,"")csv");
  ASSERT_TRUE(fields.has_value()) << fields.error().to_string();
  EXPECT_EQ(*fields, (std::vector<std::string>{"ID", "(128, 1, 1)", R"(say "hi")", "plain", "", ""}));
}

TEST(NcuCsv, RefusesBrokenQuoting) {
  EXPECT_FALSE(split_csv_line(R"("open,"b")").has_value());
  EXPECT_FALSE(split_csv_line(R"("a"x,"b")").has_value());
}

TEST(NcuCsv, ReadsEveryRowOfARealisticDump) {
  auto rows = parse_ncu_csv(two_kernel_sample);
  ASSERT_TRUE(rows.has_value()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].id, 0);
  EXPECT_EQ((*rows)[0].kernel_name, "gqa_split_kv");
  EXPECT_EQ((*rows)[0].metric_name, "gpu__time_duration.sum");
  EXPECT_EQ((*rows)[0].unit, "nsecond");
  EXPECT_DOUBLE_EQ((*rows)[0].value, 11392);  // "11,392": the thousands separator is dropped
  EXPECT_EQ((*rows)[3].id, 3);
  EXPECT_EQ((*rows)[3].kernel_name, "gqa_merge_splits");
  EXPECT_DOUBLE_EQ((*rows)[3].value, 3008);
}

TEST(NcuCsv, FindsColumnsByNameInOlderLayouts) {
  // ncu before 2023 put "Kernel Time" after the kernel name and had no block/grid columns.
  const std::string old_layout =
      R"("ID","Process ID","Process Name","Host Name","Kernel Name","Kernel Time","Context","Stream","Section Name","Metric Name","Metric Unit","Metric Value")"
      "\n"
      R"("7","99","ksearch","host","scale_add_bench_vec4","2024-Jan-01 10:00:00","1","7","Command line profiler metrics","gpu__time_duration.sum","usecond","14.85")"
      "\n";
  auto rows = parse_ncu_csv(old_layout);
  ASSERT_TRUE(rows.has_value()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, 7);
  EXPECT_EQ((*rows)[0].kernel_name, "scale_add_bench_vec4");
  EXPECT_EQ((*rows)[0].unit, "usecond");
  EXPECT_DOUBLE_EQ((*rows)[0].value, 14.85);
}

TEST(NcuCsv, NothingProfiledIsAnEmptyListNotAnError) {
  auto rows = parse_ncu_csv("==PROF== Connected to process 1 (/bin/true)\n==WARNING== No kernels were profiled.\n");
  ASSERT_TRUE(rows.has_value()) << rows.error().to_string();
  EXPECT_TRUE(rows->empty());
}

TEST(NcuCsv, BadRowsAreNamedByLine) {
  const std::string header = R"("ID","Kernel Name","Metric Name","Metric Unit","Metric Value")";
  auto not_a_number = parse_ncu_csv(header + "\n" + R"("0","k","gpu__time_duration.sum","nsecond","n/a")" + "\n");
  ASSERT_FALSE(not_a_number.has_value());
  EXPECT_EQ(not_a_number.error().subject, "ncu csv line 2");
  EXPECT_NE(not_a_number.error().problem.find("'n/a'"), std::string::npos) << not_a_number.error().problem;

  auto short_row = parse_ncu_csv(header + "\n" + R"("0","k","gpu__time_duration.sum")" + "\n");
  ASSERT_FALSE(short_row.has_value());
  EXPECT_EQ(short_row.error().subject, "ncu csv line 2");

  auto no_value_column = parse_ncu_csv(R"("ID","Kernel Name","Metric Name","Metric Unit")"
                                       "\n");
  ASSERT_FALSE(no_value_column.has_value());
  EXPECT_NE(no_value_column.error().problem.find("Metric Value"), std::string::npos) << no_value_column.error().problem;
}

TEST(NcuCsv, DurationsConvertToMilliseconds) {
  EXPECT_DOUBLE_EQ(*duration_ms(11392, "nsecond"), 0.011392);
  EXPECT_DOUBLE_EQ(*duration_ms(14.5, "usecond"), 0.0145);
  EXPECT_DOUBLE_EQ(*duration_ms(2, "msecond"), 2);
  EXPECT_DOUBLE_EQ(*duration_ms(1, "second"), 1000);
  EXPECT_DOUBLE_EQ(*duration_ms(500, "ns"), 0.0005);
  EXPECT_FALSE(duration_ms(1, "byte").has_value());
}

TEST(NcuCsv, KernelTimesAddUpPerCall) {
  auto rows = parse_ncu_csv(two_kernel_sample);
  ASSERT_TRUE(rows.has_value());
  const std::vector<std::string> call = {"gqa_split_kv", "gqa_merge_splits"};
  auto calls = call_durations_ms(*rows, "gpu__time_duration.sum", call);
  ASSERT_TRUE(calls.has_value()) << calls.error().to_string();
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_NEAR((*calls)[0], 0.011392 + 0.002944, 1e-12);
  EXPECT_NEAR((*calls)[1], 0.011520 + 0.003008, 1e-12);
}

TEST(NcuCsv, RowsAreOrderedByIdAndAnIncompleteCallIsDropped) {
  // Out of order in the file, and the window ended after the first kernel of a third call.
  std::vector<ncu_row> rows = {
      {2, "split", "gpu__time_duration.sum", "usecond", 10},
      {0, "split", "gpu__time_duration.sum", "usecond", 12},
      {4, "split", "gpu__time_duration.sum", "usecond", 99},
      {1, "merge", "gpu__time_duration.sum", "usecond", 2},
      {3, "merge", "gpu__time_duration.sum", "usecond", 3},
      {1, "merge", "dram__bytes.sum", "byte", 4096},  // another metric: ignored
  };
  const std::vector<std::string> call = {"split", "merge"};
  auto calls = call_durations_ms(rows, "gpu__time_duration.sum", call);
  ASSERT_TRUE(calls.has_value()) << calls.error().to_string();
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_NEAR((*calls)[0], 0.014, 1e-12);
  EXPECT_NEAR((*calls)[1], 0.013, 1e-12);
}

TEST(NcuCsv, AWindowOffACallBoundaryIsAnError) {
  std::vector<ncu_row> rows = {
      {0, "merge", "gpu__time_duration.sum", "usecond", 2},
      {1, "split", "gpu__time_duration.sum", "usecond", 10},
  };
  const std::vector<std::string> call = {"split", "merge"};
  auto calls = call_durations_ms(rows, "gpu__time_duration.sum", call);
  ASSERT_FALSE(calls.has_value());
  EXPECT_EQ(calls.error().subject, "ncu result ID 0");
  EXPECT_NE(calls.error().problem.find("'merge'"), std::string::npos) << calls.error().problem;
  EXPECT_FALSE(call_durations_ms(rows, "gpu__time_duration.sum", {}).has_value());
}

TEST(NcuCsv, FindsNcusOwnErrorLine) {
  EXPECT_EQ(
      first_ncu_error("==PROF== Connected\n==ERROR== ERR_NVGPUCTRPERM - The user does not have permission\nmore\n"),
      "ERR_NVGPUCTRPERM - The user does not have permission");
  EXPECT_EQ(first_ncu_error("==PROF== all fine\n"), "");
}

}  // namespace
}  // namespace ksearch::bench
