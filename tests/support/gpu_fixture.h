// Test support: the fixture every GPU test derives from. It loads the CUDA driver, or skips the
// test with the reason (no driver, no device), so CTest reports GPU tests on CI as skipped.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "ksearch/eval/cuda_driver.h"

namespace ksearch::test_support {

class gpu_fixture : public ::testing::Test {
 protected:
  void SetUp() override;

  std::shared_ptr<const eval::cuda_driver> driver_;
};

}  // namespace ksearch::test_support
