// Test support: the fixtures GPU tests derive from. gpu_fixture loads the CUDA driver, or skips
// the test with the reason (no driver, no device), so CTest reports GPU tests on CI as skipped.
// gpu_context_fixture also retains device 0's primary context and makes it current; a derived
// fixture must release what it made in that context in its own TearDown before calling this one's.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"

namespace ksearch::test_support {

class gpu_fixture : public ::testing::Test {
 protected:
  void SetUp() override;

  std::shared_ptr<const eval::cuda_driver> driver_;
};

class gpu_context_fixture : public gpu_fixture {
 protected:
  void SetUp() override;
  void TearDown() override { context_.reset(); }

  std::optional<eval::primary_context> context_;
};

}  // namespace ksearch::test_support
