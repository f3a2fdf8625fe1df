// The test binaries' main: owns the process-wide state (curl, the CUDA cache setting), like ksearch's own main.
#include <gtest/gtest.h>

#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/llm/http_client.h"

int main(int argc, char** argv) {
  ksearch::eval::disable_cuda_compute_cache();
  ksearch::llm::curl_global curl;
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
