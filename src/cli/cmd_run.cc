// `ksearch run`: the search. Loads the task, the LLM endpoint and (when resuming) the world model
// and artifacts. Until the search loop lands (issue #5) it checks every flag, can print the
// resolved configuration (--dry-run), and says plainly that the search itself is not there yet.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/run_options.h"

namespace ksearch::cli {

void add_run_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto options = std::make_shared<run_options>();
  auto dry_run = std::make_shared<bool>(false);
  add_run_flags(command, *options);
  command.add_flag("--dry-run", *dry_run, "Check the flags, print the resolved configuration and stop");

  handler = [options, dry_run, &globals]() {
    const std::vector<error> problems = validate_run(*options);
    for (const error& problem : problems) std::cerr << "error: " << problem.to_string() << "\n";
    if (!problems.empty()) return exit_usage;

    const nlohmann::json config = to_json(*options);
    if (*dry_run) {
      if (globals.json) {
        std::cout << config.dump(2) << "\n";
      } else {
        std::cerr << "ksearch run: configuration is valid\n" << config.dump(2) << "\n";
      }
      return exit_ok;
    }
    spdlog::debug("run configuration: {}", config.dump());
    return not_implemented("run", "the search loop is issue #5; the flags above were checked, "
                                  "`--dry-run` prints the resolved configuration");
  };
}

}  // namespace ksearch::cli
