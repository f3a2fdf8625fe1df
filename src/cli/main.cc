// ksearch's entry point: owns the process-wide state (curl, the CUDA cache setting) and turns setup exceptions into an
// exit code. Everything else is in ksearch_core (src/cli/app.cc and the cmd_*.cc files).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "ksearch/cli/commands.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/llm/http_client.h"

int main(int argc, char** argv) {
  ksearch::eval::disable_cuda_compute_cache();  // before any thread or compile (nvrtc_compiler.h)
  try {
    ksearch::llm::curl_global curl;
    std::vector<std::string> args(argv + 1, argv + argc);
    return ksearch::cli::run_cli(std::move(args));
  } catch (const std::exception& e) {
    std::cerr << "ksearch: fatal: " << e.what() << "\n";
    return ksearch::cli::exit_failure;
  }
}
