// `ksearch report RUN_DIR`: renders a run's artifacts folder as one HTML page or Markdown. Loads
// the run folder. The report is issue #9; until then the command checks its arguments and says so.
#include <CLI/CLI.hpp>

#include <memory>

#include "ksearch/cli/commands.h"

namespace ksearch::cli {

namespace {
struct report_options {
  std::string run_dir;
  std::string format = "html";
  std::string output;
};
}  // namespace

void add_report_command(CLI::App& command, const global_options& /*globals*/, command_handler& handler) {
  auto options = std::make_shared<report_options>();
  command.add_option("run_dir", options->run_dir, "A run's artifacts folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  command.add_option("--format", options->format, "html or md")
      ->check(CLI::IsMember({"html", "md"}))
      ->capture_default_str();
  command.add_option("--output,-o", options->output, "Where to write the report (default: inside RUN_DIR)");

  handler = [] { return not_implemented("report", "the run report is issue #9"); };
}

}  // namespace ksearch::cli
