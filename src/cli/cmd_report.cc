// `ksearch report RUN_DIR [--format html|md] [--output FILE]`: renders a run folder (the
// <artifacts-dir>/<definition> folder a search wrote) as one self-contained HTML page (default:
// RUN_DIR/report.html) or as Markdown (default: stdout). Loads the run folder only: no task, no
// GPU, no LLM. Warnings about the folder (a torn last line, a missing optional file) go to stderr
// and do not fail the command; a folder that cannot be read exits 1, bad flags exit 2.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/common/json.h"
#include "ksearch/report/html_report.h"
#include "ksearch/report/markdown_report.h"
#include "ksearch/report/run_data.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::cli {

namespace {

struct report_options {
  std::string run_dir;
  std::string format = "html";
  std::string output;
};

int run_report(const report_options& o, const global_options& globals) {
  // 1. The run.
  auto run = report::load_run(o.run_dir);
  if (!run) {
    std::cerr << "error: " << run.error().to_string() << "\n";
    return exit_failure;
  }
  for (const std::string& warning : run->warnings) std::cerr << "warning: " << warning << "\n";

  // 2. The report, and where it goes: a file, or stdout for Markdown without --output.
  const bool html = o.format == "html";
  const std::string text = html ? report::render_html_report(*run) : report::render_markdown_report(*run);
  std::filesystem::path output = o.output;
  if (output.empty() && html) output = std::filesystem::path(o.run_dir) / "report.html";
  if (!output.empty()) {
    if (auto written = store::write_file_atomic(output, text); !written) {
      std::cerr << "error: --output: " << written.error().to_string() << "\n";
      return exit_failure;
    }
    std::cerr << "ksearch report: wrote " << output.string() << " (" << run->last_round() << " rounds"
              << (run->best ? ", best at round " + std::to_string(run->best->round) : std::string(", none passed")) << ")\n";
  }

  // 3. Machine output: what was written (and the Markdown itself when it had no file).
  if (globals.json) {
    json out = {{"format", o.format},
                          {"output", output.empty() ? json(nullptr) : json(output.string())},
                          {"rounds", run->last_round()},
                          {"best_round", run->best ? json(run->best->round) : json(nullptr)},
                          {"best_score", run->best && run->best->score ? json(*run->best->score) : json(nullptr)},
                          {"warnings", run->warnings}};
    if (output.empty()) out["report"] = text;
    std::cout << out.dump(2) << "\n";
  } else if (output.empty()) {
    std::cout << text;
  }
  return exit_ok;
}

}  // namespace

void add_report_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto options = std::make_shared<report_options>();
  // The folder is checked by the loader, not by CLI11, so that a missing or unreadable run exits 1
  // with the path named (an unreadable run is a finding, not a bad invocation).
  command.add_option("run_dir", options->run_dir, "A run folder: <artifacts-dir>/<definition>, holding solutions.jsonl")
      ->required();
  command.add_option("--format", options->format, "html (one self-contained page) or md (Markdown)")
      ->check(CLI::IsMember({"html", "md"}))
      ->capture_default_str();
  command.add_option("--output,-o", options->output, "Where to write the report (default: RUN_DIR/report.html; md: stdout)");

  handler = [options, &globals] { return run_report(*options, globals); };
}

}  // namespace ksearch::cli
