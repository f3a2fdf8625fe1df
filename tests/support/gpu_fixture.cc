#include "support/gpu_fixture.h"

namespace ksearch::test_support {

void gpu_fixture::SetUp() {
  auto loaded = eval::cuda_driver::load();
  if (!loaded) GTEST_SKIP() << "no CUDA device: " << loaded.error().to_string();
  if ((*loaded)->device_count() == 0) GTEST_SKIP() << "no CUDA device: the driver sees none";
  driver_ = *loaded;
}

}  // namespace ksearch::test_support
