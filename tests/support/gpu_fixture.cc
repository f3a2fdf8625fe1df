#include "support/gpu_fixture.h"

namespace ksearch::test_support {

void gpu_fixture::SetUp() {
  auto loaded = eval::cuda_driver::load();
  if (!loaded) GTEST_SKIP() << "no CUDA device: " << loaded.error().to_string();
  if ((*loaded)->device_count() == 0) GTEST_SKIP() << "no CUDA device: the driver sees none";
  driver_ = *loaded;
}

void gpu_context_fixture::SetUp() {
  gpu_fixture::SetUp();
  if (IsSkipped()) return;
  auto context = eval::primary_context::retain(*driver_, 0);
  ASSERT_TRUE(context.has_value()) << context.error().to_string();
  ASSERT_TRUE(context->make_current().has_value());
  context_.emplace(std::move(*context));
}

}  // namespace ksearch::test_support
