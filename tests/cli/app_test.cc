// The command tree, run as a real process: dispatch, help, exit codes and the run-by-default rule.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

using test_support::run_ksearch;

// A key-free environment, so no test depends on the developer's shell.
const std::map<std::string, std::string> no_keys = {{"LLM_API_KEY", ""}, {"OPENAI_API_KEY", ""}};
const std::vector<std::string> valid_run = {"--definition", "d", "--model-name", "m", "--base-url",
                                            "http://127.0.0.1:9/v1"};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST(App, HelpListsEveryCommandAndExitsZero) {
  auto r = run_ksearch({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"run", "eval", "doctor", "report", "tasks"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
}

TEST(App, EveryCommandHasHelp) {
  for (const char* command : {"run", "eval", "doctor", "report", "tasks"}) {
    auto r = run_ksearch({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
    EXPECT_NE(r.out.find("Loads:"), std::string::npos) << command;
  }
  auto run_help = run_ksearch({"run", "--help"});
  for (const char* flag : {"--task", "--task-source", "--task-path", "--definition", "--model-name", "--base-url",
                           "--api-key", "--language", "--target-gpu", "--max-opt-rounds", "--world-model",
                           "--wm-stagnation-window", "--wm-max-difficulty", "--continue-from-solution",
                           "--continue-from-world-model", "--save-solutions", "--artifacts-dir",
                           "--kernelbench-level", "--kernelbench-problem-id", "--gpumode-mode", "--wandb",
                           "--timer", "--compile-timeout-s", "--compile-memory-mb"}) {
    EXPECT_NE(run_help.out.find(flag), std::string::npos) << flag;
  }
  // CLI11's layout differs between versions (default shown as "=cupti" or "[cupti]", wrapped
  // descriptions): look for the words only.
  auto eval_help = run_ksearch({"eval", "--help"});
  for (const char* word : {"--timer", "cupti", "events", "CUPTI"}) {
    EXPECT_NE(eval_help.out.find(word), std::string::npos) << word << " in\n" << eval_help.out;
  }
}

TEST(App, VersionPrintsTheVersion) {
  auto r = run_ksearch({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(std::string("ksearch ") + KSEARCH_VERSION), std::string::npos) << r.out;
}

TEST(App, NoArgumentsPrintsHelpAndExitsTwo) {
  auto r = run_ksearch({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("doctor"), std::string::npos);
}

TEST(App, FlagsWithoutACommandGoToRun) {
  auto r = run_ksearch(with({"--task", "flashinfer", "--world-model", "--dry-run", "--json"}, valid_run), no_keys);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto config = json::parse(r.out);
  EXPECT_EQ(config["definition"], "d");
  EXPECT_EQ(config["world_model"], true);
  EXPECT_EQ(config["api_key_source"], "none");

  // Global flags may come first, and still the rest goes to run.
  auto g = run_ksearch(with({"--log-level", "warn", "--json", "--dry-run"}, valid_run), no_keys);
  EXPECT_EQ(g.exit_code, 0) << g.err;
}

TEST(App, UnknownFlagsAndBadValuesExitTwoNamingTheFlag) {
  auto unknown = run_ksearch({"--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--no-such-flag"), std::string::npos) << unknown.err;

  auto range = run_ksearch(with({"--max-opt-rounds", "0"}, valid_run), no_keys);
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_NE(range.err.find("--max-opt-rounds"), std::string::npos) << range.err;

  auto missing = run_ksearch({"run", "--model-name", "m"}, no_keys);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--definition: required with --task flashinfer"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("--api-key: no API key"), std::string::npos) << missing.err;

  auto level = run_ksearch({"doctor", "--log-level", "loud"});
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_NE(level.err.find("--log-level"), std::string::npos) << level.err;
}

TEST(App, KernelbenchRunNamesAMissingProblemAndBatchesNeedALevel) {
  test_support::temp_dir root;
  root.write("KernelBench/level1/19_ReLU.py", "# test problem\n");
  auto kernelbench = run_ksearch({"run", "--task", "kernelbench", "--kernelbench-level", "1", "--kernelbench-problem-id", "20",
                                  "--kernelbench-root", root.path().string(), "--model-name", "m", "--base-url",
                                  "http://127.0.0.1:9/v1", "--eval-mode", "compile-only", "--artifacts-dir",
                                  (root.path() / "runs").string()},
                                 no_keys);
  EXPECT_EQ(kernelbench.exit_code, 1);
  EXPECT_NE(kernelbench.err.find("--kernelbench-problem-id 20"), std::string::npos) << kernelbench.err;
  EXPECT_NE(kernelbench.err.find("ids there: 19 to 19"), std::string::npos) << kernelbench.err;

  // A folder of solutions is a batch over a level; other tasks evaluate one file.
  auto no_level = run_ksearch({"eval", "--task", "kernelbench", "--kernelbench-root", root.path().string(),
                               root.path().string()});
  EXPECT_EQ(no_level.exit_code, 2);
  EXPECT_NE(no_level.err.find("--kernelbench-level: required"), std::string::npos) << no_level.err;
  auto folder = run_ksearch({"eval", "--definition", "x", root.path().string()});
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.err.find("is a folder; only --task kernelbench evaluates a batch"), std::string::npos) << folder.err;
}

TEST(App, ReportOfAFolderThatIsNoRunNamesTheMissingFile) {
  auto report = run_ksearch({"report", KSEARCH_TEST_DATA_DIR});
  EXPECT_EQ(report.exit_code, 1);
  EXPECT_NE(report.err.find("solutions.jsonl: missing"), std::string::npos) << report.err;
}

TEST(App, TheApiKeyNeverReachesOutputOrLogFile) {
  test_support::temp_dir dir;
  const std::string secret = "sk-test-0123456789abcdefghijklmnop";
  const auto log = dir.path() / "ksearch.log";
  auto r = run_ksearch(with({"--log-level", "debug", "--log-file", log.string(), "run", "--api-key", secret, "--eval-mode", "compile-only"},
                            valid_run),
                       no_keys);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the flags are fine; definition "d" is not in the bundled dataset
  EXPECT_NE(r.err.find("--definition d"), std::string::npos) << r.err;
  std::stringstream logged;
  logged << std::ifstream(log).rdbuf();
  EXPECT_NE(logged.str().find("run configuration"), std::string::npos) << logged.str();
  EXPECT_NE(logged.str().find("\"api_key_source\":\"--api-key\""), std::string::npos);
  for (const std::string* text : {&r.out, &r.err}) EXPECT_EQ(text->find(secret), std::string::npos);
  EXPECT_EQ(logged.str().find(secret), std::string::npos);

  auto from_env = run_ksearch({"--dry-run", "--json", "--definition", "d", "--model-name", "m", "--base-url",
                               "https://example.invalid/v1"},
                              {{"LLM_API_KEY", secret}, {"OPENAI_API_KEY", ""}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_NE(from_env.out.find("\"api_key_source\": \"LLM_API_KEY\""), std::string::npos) << from_env.out;
  EXPECT_EQ(from_env.out.find(secret), std::string::npos);
}

}  // namespace
}  // namespace ksearch::cli
