// `ksearch __compile REQUEST OUTPUT MEMORY_MB`: one NVRTC compile in a process of its own (hidden),
// started by eval::compile_with_limits so that a time and a memory limit can end it.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "ksearch/cli/commands.h"
#include "ksearch/eval/compile/bounded_compile.h"

namespace ksearch::cli {

namespace {
struct compile_helper_options {
  std::string request_file;
  std::string output_dir;
  std::size_t memory_mb = 0;
};
}  // namespace

void add_compile_helper_command(CLI::App& command, const global_options& /*globals*/, command_handler& handler) {
  auto options = std::make_shared<compile_helper_options>();
  command.group("");  // hidden from --help: only ksearch starts it
  command.add_option("request", options->request_file, "The compile request (JSON)")->required();
  command.add_option("output", options->output_dir, "Folder for kernel.cubin and result.json, or error.json")
      ->required();
  command.add_option("memory_mb", options->memory_mb, "Address-space limit [MiB]; 0: none")->required();
  handler = [options]() {
    return eval::run_compile_helper(options->request_file, options->output_dir, options->memory_mb);
  };
}

}  // namespace ksearch::cli
