#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <iostream>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/logging.h"

namespace ksearch::cli {

namespace {

struct command_entry {
  const char* name;
  const char* summary;
  const char* loads;  // what the command reads before it starts: shown in --help
  add_command_fn add;
};

// The command tree. `run` comes first: it is the default when no command is named.
constexpr std::array<command_entry, 8> command_table{{
    {"run", "Search for a faster kernel (the default command)",
     "task, LLM endpoint, world model and artifacts (when resuming)", add_run_command},
    {"eval", "Evaluate one solution file on the task's workloads", "task and solution file", add_eval_command},
    {"doctor", "Check the GPU, driver, NVRTC, LLM endpoint and artifacts folder", "nothing",
     add_doctor_command},
    {"report", "Render a run folder as an HTML or Markdown report", "a run's artifacts folder",
     add_report_command},
    {"tasks", "List task backends and the definitions a dataset offers", "a dataset folder",
     add_tasks_command},
    {"bench", "Benchmark the evaluator: wall time split, NVRTC vs nvcc, latency vs Nsight Compute",
     "the bench dataset (bench/data), the CUDA driver and one device", add_bench_command},
    {"__worker", "Evaluation worker (started by ksearch itself)", "the CUDA driver and one device",
     add_worker_command},
    {"__compile", "Bounded NVRTC compile (started by ksearch itself)", "NVRTC", add_compile_helper_command},
}};

bool is_command_name(const std::string& token) {
  return std::any_of(command_table.begin(), command_table.end(),
                     [&](const command_entry& c) { return token == c.name; });
}

// K-Search is invoked as `generate_kernels_and_eval.py --task ...`; accept the same flags with no
// command by inserting `run` in front of the first token that is not a global flag.
void default_to_run(std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "-h" || token == "--help" || token == "--version") return;
    if (token == "--json" || token.starts_with("--log-level=") || token.starts_with("--log-file=")) continue;
    if (token == "--log-level" || token == "--log-file") {
      ++i;  // skip the value
      continue;
    }
    if (!is_command_name(token)) args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "run");
    return;
  }
}

}  // namespace

int not_implemented(const std::string& command, const std::string& what) {
  std::cerr << "ksearch " << command << ": not implemented yet (" << what << ")\n";
  return exit_usage;
}

int run_cli(std::vector<std::string> args) {
  default_to_run(args);

  CLI::App app{"ksearch — search for fast CUDA kernels with an LLM and a world model.\n"
               "Flags given without a command are passed to `run`.",
               "ksearch"};
  app.set_version_flag("--version", std::string("ksearch ") + KSEARCH_VERSION);
  app.require_subcommand(0, 1);
  app.fallthrough();  // global flags are accepted after the command name too

  global_options globals;
  app.add_option("--log-level", globals.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->group("Global");
  app.add_option("--log-file", globals.log_file, "Also append the log to this file")->group("Global");
  app.add_flag("--json", globals.json, "Machine-readable output (JSON) on stdout")->group("Global");

  std::array<command_handler, command_table.size()> handlers;
  for (std::size_t i = 0; i < command_table.size(); ++i) {
    CLI::App* command = app.add_subcommand(command_table[i].name, command_table[i].summary);
    command->footer(std::string("Loads: ") + command_table[i].loads);
    command_table[i].add(*command, globals, handlers[i]);
  }

  // CLI11 wants argv order reversed in a vector; parse() with a vector takes it that way.
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    std::cerr << "Run `ksearch " << (app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name() + " ")
              << "--help` for the flags.\n";
    return exit_usage;
  }

  if (auto logging = setup_logging(globals.log_level, globals.log_file); !logging) {
    std::cerr << "error: " << logging.error().to_string() << "\n";
    return exit_usage;
  }
  for (std::size_t i = 0; i < command_table.size(); ++i) {
    if (app.got_subcommand(command_table[i].name)) return handlers[i]();
  }
  std::cerr << app.help();
  return exit_usage;
}

}  // namespace ksearch::cli
