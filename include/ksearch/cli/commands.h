// ksearch/cli/commands.h — the `ksearch` command tree.
//
// Each subcommand lives in its own file (src/cli/cmd_<name>.cc) and offers one `add_<name>_command`
// that registers its flags on a CLI11 subcommand and sets the handler that runs it. app.cc holds
// the table of subcommands (name, summary, what each one loads) and main's error handling.
//
// Exit codes: 0 success, 1 the command ran and found a failure (a doctor check failed),
// 2 bad invocation or not implemented yet, 130 interrupted.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ksearch::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

/// Flags every subcommand understands (they may come before or after the subcommand's name).
struct global_options {
  std::string log_level = "info";
  std::string log_file;
  bool json = false;  // machine output (JSON) on stdout; human output always goes to stderr
};

/// Runs a parsed subcommand and returns its exit code.
using command_handler = std::function<int()>;
using add_command_fn = void (*)(CLI::App& command, const global_options& globals, command_handler& handler);

void add_run_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_eval_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_doctor_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_report_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_tasks_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_bench_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_worker_command(CLI::App& command, const global_options& globals, command_handler& handler);
void add_compile_helper_command(CLI::App& command, const global_options& globals, command_handler& handler);

/// Parses `args` (without the program name) and runs the chosen subcommand. Flags given without
/// a subcommand go to `run`, so `ksearch --task ... --world-model` works as in K-Search.
[[nodiscard]] int run_cli(std::vector<std::string> args);

/// For handlers: prints "ksearch <command>: not implemented yet (<what>)" and returns exit_usage.
[[nodiscard]] int not_implemented(const std::string& command, const std::string& what);

}  // namespace ksearch::cli
