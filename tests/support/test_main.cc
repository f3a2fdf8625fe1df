// The test binaries' main: owns the process-wide state (curl, the CUDA cache setting), like ksearch's own main.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

#include "ksearch/eval/compile/bounded_compile.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/llm/http_client.h"

int main(int argc, char** argv) {
  ksearch::eval::disable_cuda_compute_cache();
  // eval::compile_with_limits starts this executable as its compiling child, as ksearch does itself.
  if (argc == 5 && std::string_view(argv[1]) == ksearch::eval::compile_helper_command) {
    return ksearch::eval::run_compile_helper(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10));
  }
  ksearch::llm::curl_global curl;
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
