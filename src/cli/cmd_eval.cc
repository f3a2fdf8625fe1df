// `ksearch eval SOLUTION`: evaluates one solution file on the task's workloads. Loads the task
// and the solution. The evaluator is issue #3; until then the command checks its arguments and
// says so.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/run_options.h"

namespace ksearch::cli {

namespace {
struct eval_options {
  task_selection task;
  std::string solution;
};
}  // namespace

void add_eval_command(CLI::App& command, const global_options& /*globals*/, command_handler& handler) {
  auto options = std::make_shared<eval_options>();
  command.add_option("solution", options->solution, "Solution JSON (FlashInfer Solution format)")
      ->required()
      ->check(CLI::ExistingFile);
  add_task_flags(command, options->task);

  handler = [options]() {
    const std::vector<error> problems = validate_task(options->task, /*needs_definition=*/true);
    for (const error& problem : problems) std::cerr << "error: " << problem.to_string() << "\n";
    if (!problems.empty()) return exit_usage;
    return not_implemented("eval", "the evaluator is issue #3");
  };
}

}  // namespace ksearch::cli
