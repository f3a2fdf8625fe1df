// `ksearch report` as a real process, on a copy of the fixture run (tests/data/run-fixture).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

namespace fs = std::filesystem;
using test_support::run_ksearch;

fs::path copy_fixture(const test_support::temp_dir& dir) {
  const fs::path run = dir.path() / "scale_add_d256";
  fs::copy(fs::path(KSEARCH_TEST_DATA_DIR) / "run-fixture", run, fs::copy_options::recursive);
  return run;
}

std::string read(const fs::path& file) {
  std::stringstream s;
  s << std::ifstream(file).rdbuf();
  return s.str();
}

TEST(CmdReport, WritesTheHtmlPageIntoTheRunFolder) {
  test_support::temp_dir dir;
  const fs::path run = copy_fixture(dir);
  auto r = run_ksearch({"report", run.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("wrote " + (run / "report.html").string()), std::string::npos) << r.err;
  const std::string page = read(run / "report.html");
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  for (const char* id : {"id=\"score-chart\"", "id=\"wm-tree\"", "id=\"best-kernel\"", "id=\"workloads\""}) {
    EXPECT_NE(page.find(id), std::string::npos) << id;
  }
}

TEST(CmdReport, WritesMarkdownToStdoutOrAFile) {
  test_support::temp_dir dir;
  const fs::path run = copy_fixture(dir);
  auto md = run_ksearch({"report", run.string(), "--format", "md"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_TRUE(md.out.starts_with("# ksearch run: scale_add_d256\n")) << md.out;
  EXPECT_NE(md.out.find("| 12 | node_scale_add_d256_r11_2 | action | COMPILE_ERROR |"), std::string::npos) << md.out;
  EXPECT_FALSE(fs::exists(run / "report.html"));

  const fs::path file = dir.path() / "out" / "summary.md";
  auto to_file = run_ksearch({"report", run.string(), "--format=md", "-o", file.string()});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_TRUE(to_file.out.empty());
  EXPECT_EQ(read(file), md.out);
}

TEST(CmdReport, JsonSaysWhatWasWritten) {
  test_support::temp_dir dir;
  const fs::path run = copy_fixture(dir);
  const fs::path page = dir.path() / "page.html";
  auto r = run_ksearch({"report", run.string(), "--output", page.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = json::parse(r.out);
  EXPECT_EQ(doc["output"], page.string());
  EXPECT_EQ(doc["rounds"], 12);
  EXPECT_EQ(doc["best_round"], 9);
  EXPECT_TRUE(doc["warnings"].empty());
  EXPECT_TRUE(fs::exists(page));
}

TEST(CmdReport, ATornRunWarnsAndStillReports) {
  test_support::temp_dir dir;
  const fs::path run = copy_fixture(dir);
  std::ofstream(run / "solutions.jsonl", std::ios::app) << "{\"kind\":\"round\",\"round\":13,";
  auto r = run_ksearch({"report", run.string(), "--format", "md"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: " + (run / "solutions.jsonl").string() + ":13"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("## Warnings"), std::string::npos);
}

TEST(CmdReport, UnreadableRunsExitOneNamingThePath) {
  test_support::temp_dir dir;
  auto missing = run_ksearch({"report", (dir.path() / "nope").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("error: " + (dir.path() / "nope").string() + ": no such folder"), std::string::npos) << missing.err;

  auto empty = run_ksearch({"report", dir.path().string()});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find((dir.path() / "solutions.jsonl").string() + ": missing"), std::string::npos) << empty.err;

  // The artifacts folder instead of the run folder in it: the error points at the run folder.
  const fs::path run = copy_fixture(dir);
  auto parent = run_ksearch({"report", dir.path().string()});
  EXPECT_EQ(parent.exit_code, 1);
  EXPECT_NE(parent.err.find("did you mean " + run.string()), std::string::npos) << parent.err;

  auto unwritable = run_ksearch({"report", run.string(), "--output", (run / "solutions.jsonl" / "x.html").string()});
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_NE(unwritable.err.find("--output"), std::string::npos) << unwritable.err;
}

TEST(CmdReport, BadFlagsExitTwo) {
  test_support::temp_dir dir;
  const fs::path run = copy_fixture(dir);
  auto format = run_ksearch({"report", run.string(), "--format", "pdf"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.err.find("--format"), std::string::npos) << format.err;
  auto no_dir = run_ksearch({"report"});
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_NE(no_dir.err.find("run_dir"), std::string::npos) << no_dir.err;
  EXPECT_FALSE(fs::exists(run / "report.html"));
}

}  // namespace
}  // namespace ksearch::cli
