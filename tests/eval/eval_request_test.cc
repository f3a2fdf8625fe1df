// The evaluation request as the worker protocol carries it (CPU only; the GPU side is in
// evaluator_gpu_test.cc).
#include "ksearch/eval/eval_request.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::eval {
namespace {

TEST(EvaluatorRequest, RoundTripsThroughTheProtocolKeepingInputOrder) {
  auto entry = tasks::load_dataset_definition(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini",
                                              "scale_add_d256");
  ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
  eval_request request;
  request.definition = entry->def;
  request.workloads = entry->workloads;
  request.candidate = {"c", "extern \"C\" __global__ void k() {}", R"({"steps": []})"};
  request.reference = {"r", "// ref", "{}"};
  request.config.correctness_trials = 5;
  request.config.comparator = "allclose";
  request.config.timing = criterion_params::gpu_time_budget(10);
  request.config.time_candidate = false;
  request.config.recheck = true;
  request.config.timed_check_probability = 0.25;
  request.config.max_timed_checks = 3;
  request.config.compile = {.time = std::chrono::seconds(7), .memory_mb = 1234};

  // Through text, as over the pipe (decode_frame parses ordered JSON).
  const std::string wire = to_json(request).dump();
  auto back = eval_request_from_json(ordered_json::parse(wire));
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  ASSERT_EQ(back->definition.inputs.size(), 3u);
  EXPECT_EQ(back->definition.inputs[0].name, "x");
  EXPECT_EQ(back->definition.inputs[2].name, "alpha");
  ASSERT_EQ(back->workloads.size(), 2u);
  EXPECT_EQ(back->workloads[1].axes.at("rows"), 4096);
  EXPECT_DOUBLE_EQ(back->workloads[1].inputs.at("alpha").scalar_value, -2.0);
  EXPECT_EQ(back->candidate.source, request.candidate.source);
  EXPECT_EQ(back->config.correctness_trials, 5);
  EXPECT_EQ(back->config.comparator, "allclose");
  EXPECT_EQ(back->config.timing.kind, request.config.timing.kind);
  EXPECT_DOUBLE_EQ(back->config.timing.max_gpu_time_ms, request.config.timing.max_gpu_time_ms);
  EXPECT_FALSE(back->config.time_candidate);
  EXPECT_TRUE(back->config.recheck);
  EXPECT_DOUBLE_EQ(back->config.timed_check_probability, 0.25);
  EXPECT_EQ(back->config.max_timed_checks, 3);
  EXPECT_EQ(back->config.compile.time, std::chrono::seconds(7));
  EXPECT_EQ(back->config.compile.memory_mb, 1234u);
  EXPECT_FALSE(back->oracle.has_value());
  EXPECT_EQ(back->dataset_root, "");

  request.oracle = oracle_reference{"/opt/py/bin/python3", "/srv/tasks/oracle/oracle_server.py", 42};
  request.dataset_root = "/data/flashinfer-trace";
  auto with_oracle = eval_request_from_json(json::parse(to_json(request).dump()));
  ASSERT_TRUE(with_oracle.has_value()) << with_oracle.error().to_string();
  ASSERT_TRUE(with_oracle->oracle.has_value());
  EXPECT_EQ(with_oracle->oracle->python, "/opt/py/bin/python3");
  EXPECT_EQ(with_oracle->oracle->script, "/srv/tasks/oracle/oracle_server.py");
  EXPECT_DOUBLE_EQ(with_oracle->oracle->call_timeout_s, 42);
  EXPECT_EQ(with_oracle->dataset_root, "/data/flashinfer-trace");
}

TEST(EvaluatorRequest, BadRequestsAreNamed) {
  EXPECT_EQ(eval_request_from_json(ordered_json::object()).error().subject, "evaluation request");
  auto text = eval_request_from_json(
      {{"definition", R"({"name":"d","op_type":"t","axes":{},"inputs":{},"outputs":{"y":{"shape":[],"dtype":"int32"}}})"}});
  ASSERT_FALSE(text.has_value()) << "a definition as JSON text is the old protocol's";
  EXPECT_EQ(text.error().subject, "evaluation request");
  auto bad = eval_request_from_json(
      {{"definition", ordered_json::parse(R"({"name":"d","op_type":"t","axes":{},"inputs":{},"outputs":{"y":{"shape":[],"dtype":"int32"}}})")},
       {"config", {{"comparator", "eyeball"}}}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().subject, "config.comparator");
  auto odds = eval_request_from_json(
      {{"definition", ordered_json::parse(R"({"name":"d","op_type":"t","axes":{},"inputs":{},"outputs":{"y":{"shape":[],"dtype":"int32"}}})")},
       {"config", {{"timed_check_probability", 1.5}}}});
  ASSERT_FALSE(odds.has_value());
  EXPECT_EQ(odds.error().subject, "config.timed_check_probability");
}

}  // namespace
}  // namespace ksearch::eval
