// The PyTorch oracle's client side without a GPU: the real tasks/oracle/oracle_server.py, started
// through the worker protocol, on an interpreter that cannot import torch (python3 -S drops
// site-packages, so this holds on the GPU box too). What must come back is the reason and the fix,
// never a hang or a crash. The oracle's GPU path is in tests/eval/evaluator_gpu_test.cc.
#include "ksearch/eval/reference_oracle.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ksearch/tasks/dataset_scan.h"
#include "support/temp_dir.h"

namespace ksearch::eval {
namespace {

const std::filesystem::path script = std::filesystem::path(KSEARCH_SOURCE_DIR) / "tasks" / "oracle" / "oracle_server.py";

// An interpreter without site-packages: a two-line wrapper, since oracle_options takes a program.
std::string python_without_packages(const test_support::temp_dir& dir) {
  const auto wrapper = dir.write("python-no-site", "#!/bin/sh\nexec python3 -S \"$@\"\n");
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  return wrapper.string();
}

TEST(ReferenceOracle, TheBundledScriptIsFound) {
  auto found = bundled_oracle_script();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->filename(), "oracle_server.py");
}

TEST(ReferenceOracle, WithoutTorchTheProbeSaysWhatToInstall) {
  test_support::temp_dir dir;
  oracle_options options;
  options.python = python_without_packages(dir);
  options.script = script;
  const oracle_environment env = probe_oracle(options);
  EXPECT_FALSE(env.ready);
  EXPECT_NE(env.problem.find("torch"), std::string::npos) << env.problem;
  EXPECT_NE(env.problem.find("pip install torch safetensors"), std::string::npos) << env.problem;
  EXPECT_FALSE(env.python_version.empty()) << "the server answered status, so it knows its Python";
}

TEST(ReferenceOracle, StartingWithoutTorchFailsNamingTheDefinitionAndTheFix) {
  auto entry = tasks::load_dataset_definition(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini",
                                              "scale_add_d256");
  ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
  test_support::temp_dir dir;
  oracle_options options;
  options.python = python_without_packages(dir);
  options.script = script;
  auto oracle = reference_oracle::start(options, entry->def);
  ASSERT_FALSE(oracle.has_value());
  EXPECT_NE(oracle.error().subject.find("scale_add_d256"), std::string::npos) << oracle.error().to_string();
  EXPECT_NE(oracle.error().problem.find("torch"), std::string::npos) << oracle.error().to_string();
  EXPECT_NE(oracle.error().fix.find("KSEARCH_PYTHON"), std::string::npos) << oracle.error().to_string();
}

TEST(ReferenceOracle, AMissingInterpreterOrScriptIsAStartError) {
  auto entry = tasks::load_dataset_definition(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini",
                                              "scale_add_d256");
  ASSERT_TRUE(entry.has_value());
  oracle_options no_python;
  no_python.python = "/nonexistent/python3";
  no_python.script = script;
  auto a = reference_oracle::start(no_python, entry->def);
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().to_string().find("/nonexistent/python3"), std::string::npos) << a.error().to_string();

  oracle_options no_script;
  no_script.script = "/nonexistent/oracle_server.py";
  auto b = reference_oracle::start(no_script, entry->def);
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().to_string().find("oracle_server.py"), std::string::npos) << b.error().to_string();

  tasks::definition without_reference = entry->def;
  without_reference.reference.clear();
  auto c = reference_oracle::start(oracle_options{.script = script}, without_reference);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().subject.find("reference"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::eval
