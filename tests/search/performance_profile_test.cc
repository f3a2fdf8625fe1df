// The profile lines a prompt shows for a passed candidate, from a hand-made evaluation outcome.
#include "ksearch/search/performance_profile.h"

#include <gtest/gtest.h>

namespace ksearch::search {
namespace {

evaluation_outcome measured() {
  evaluation_outcome e;
  e.status = tasks::evaluation_status::passed;
  e.passed = true;
  e.latency_ms = 0.02;
  eval::eval_result r;
  eval::workload_result w;
  w.uuid = "55b51e96-eecc-4dc9-814a-0f1301b2951e";
  w.latency_ms = 0.02;             // 20 us
  w.min_bytes = 34e6;              // 34 MB in 20 us: 1.7 TB/s
  w.peak_bandwidth_bytes_per_s = 3.35e12;
  r.workloads.push_back(w);
  eval::workload_result untimed;  // a checked-only workload (GPUMode's tests) has no latency
  untimed.uuid = "test-01";
  r.workloads.push_back(untimed);
  r.kernels.push_back({.name = "decode", .registers = 96, .static_smem_bytes = 1024, .spill_store_bytes = 8});
  e.phases.push_back({"workloads", r});
  return e;
}

TEST(PerformanceProfile, ShowsTheRooflinePositionOfEachTimedWorkloadAndEachKernelsResources) {
  const std::string text = profile_lines(measured(), "last_attempt");
  EXPECT_NE(text.find("last_attempt workload 55b51e96: 0.0200 ms; moves >= 34.0 MB: 1.70 TB/s = 51% of the 3.35 TB/s DRAM peak\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("test-01"), std::string::npos) << "an untimed workload has no line";
  EXPECT_NE(text.find("last_attempt kernel decode: 96 registers"), std::string::npos) << text;
  EXPECT_NE(text.find("spill"), std::string::npos) << text;
  // The passed outcome's summary carries the profile.
  EXPECT_NE(measured().perf_summary("cycle_best").find("cycle_best workload 55b51e96"), std::string::npos);
}

TEST(PerformanceProfile, WithoutTheRooflineNumbersOnlyTheLatencyAndNothingForAFailure) {
  evaluation_outcome e = measured();
  e.phases[0].result.workloads[0].min_bytes = 0;  // a record of an older ksearch
  const std::string text = profile_lines(e, "p");
  EXPECT_NE(text.find("p workload 55b51e96: 0.0200 ms\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("DRAM"), std::string::npos);
  e.passed = false;
  EXPECT_EQ(e.perf_summary("p"), "");
}

TEST(PerformanceProfile, KernelsSharedByPhasesAreListedOnce) {
  evaluation_outcome e = measured();
  e.phases.push_back(e.phases[0]);
  const std::string text = profile_lines(e, "p");
  EXPECT_EQ(text.find("kernel decode"), text.rfind("kernel decode")) << text;
}

}  // namespace
}  // namespace ksearch::search
