#include <gtest/gtest.h>

#include <fstream>

#include "ksearch/report/html_report.h"
#include "report/markup_check.h"
#include "support/temp_dir.h"

namespace ksearch::report {
namespace {

namespace fs = std::filesystem;
const fs::path fixture = fs::path(KSEARCH_TEST_DATA_DIR) / "run-fixture";

std::string fixture_page() {
  auto run = load_run(fixture);
  EXPECT_TRUE(run) << run.error().to_string();
  return run ? render_html_report(*run) : std::string();
}

TEST(HtmlReport, IsOneWellFormedPageWithEverySection) {
  const std::string page = fixture_page();
  const test::markup_check check = test::check_markup(page, /*html=*/true);
  ASSERT_FALSE(check.problem) << *check.problem;
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(check.count("html"), 1u);
  for (const char* id : {"id=\"summary\"", "id=\"progress\"", "id=\"status-counts\"", "id=\"llm-usage\"", "id=\"world-model\"",
                         "id=\"best-kernel\"", "id=\"workloads\"", "id=\"rounds\"", "id=\"score-chart\"", "id=\"latency-chart\"",
                         "id=\"tokens-chart\"", "id=\"cost-chart\"", "id=\"wm-tree\""}) {
    EXPECT_NE(page.find(id), std::string::npos) << id;
  }
  EXPECT_EQ(check.count("svg"), 5u);  // four charts and the tree
  // The header's facts.
  for (const char* fact : {"scale_add_d256", "gpt-5.2", "H100", "world model", "12 of 12", "round budget spent"}) {
    EXPECT_NE(page.find(fact), std::string::npos) << fact;
  }
}

TEST(HtmlReport, NeedsNothingOutsideTheFile) {
  const std::string page = fixture_page();
  for (const char* external : {"<script", "<link", "<img", "<iframe", " src=", " href=", "@import"}) {
    EXPECT_EQ(page.find(external), std::string::npos) << external;
  }
  // url() only for the charts' own clip paths, inside the page.
  for (std::size_t at = page.find("url("); at != std::string::npos; at = page.find("url(", at + 1)) {
    EXPECT_EQ(page[at + 4], '#') << page.substr(at, 40);
  }
  EXPECT_NE(page.find("<style>"), std::string::npos);
}

TEST(HtmlReport, ShowsTheBestKernelEscaped) {
  const std::string page = fixture_page();
  auto run = load_run(fixture);
  ASSERT_TRUE(run && run->best);
  const std::string& code = run->best->kernel_cu;
  ASSERT_NE(code.find("i < n4"), std::string::npos) << "the fixture's best kernel compares with '<'";
  EXPECT_EQ(page.find("i < n4"), std::string::npos) << "a raw '<' from the code reached the page";
  EXPECT_NE(page.find("i &lt; n4"), std::string::npos);
  EXPECT_NE(page.find("__global__ void scale_add_gs"), std::string::npos);
  // The launch plan, spread for reading, keys in the model's order.
  const std::size_t plan = page.find("<h3>launch.json</h3>");
  ASSERT_NE(plan, std::string::npos);
  EXPECT_LT(page.find("&quot;let&quot;", plan), page.find("&quot;steps&quot;", plan));
}

TEST(HtmlReport, HasOneRowPerWorkloadAndPerRound) {
  const std::string page = fixture_page();
  const std::size_t workloads = page.find("id=\"workloads\"");
  const std::size_t rounds = page.find("id=\"rounds\"");
  ASSERT_LT(workloads, rounds);
  const std::string workload_table = page.substr(workloads, rounds - workloads);
  EXPECT_NE(workload_table.find("test-0001"), std::string::npos);
  EXPECT_NE(workload_table.find("test-0002"), std::string::npos);
  EXPECT_NE(workload_table.find("1.32x"), std::string::npos);
  std::size_t rows = 0;
  for (std::size_t at = page.find("<tr", rounds); at != std::string::npos; at = page.find("<tr", at + 1)) ++rows;
  EXPECT_EQ(rows, 1u + 12u);  // the header and twelve rounds
  EXPECT_NE(page.find("<tr class=\"best\">", rounds), std::string::npos);
}

TEST(HtmlReport, ListsTheLoadersWarnings) {
  test_support::temp_dir dir;
  fs::copy(fixture, dir.path() / "run", fs::copy_options::recursive);
  std::ofstream(dir.path() / "run" / "solutions.jsonl", std::ios::app) << "{\"round\": 13, \"torn";
  auto run = load_run(dir.path() / "run");
  ASSERT_TRUE(run) << run.error().to_string();
  const std::string page = render_html_report(*run);
  EXPECT_NE(page.find("1 warning while reading the run"), std::string::npos);
  EXPECT_NE(page.find("solutions.jsonl:13"), std::string::npos);
  EXPECT_FALSE(test::check_markup(page, true).problem);
}

TEST(HtmlReport, AFailedRunStillRenders) {
  test_support::temp_dir dir;
  dir.write("run/solutions.jsonl",
            R"({"kind":"round","round":1,"evaluation":{"status":"COMPILE_ERROR","passed":false,"feedback":"kernel.cu(1): error: <oops>"}})"
            "\n");
  auto run = load_run(dir.path() / "run");
  ASSERT_TRUE(run) << run.error().to_string();
  const std::string page = render_html_report(*run);
  const test::markup_check check = test::check_markup(page, true);
  ASSERT_FALSE(check.problem) << *check.problem;
  EXPECT_NE(page.find("No round passed"), std::string::npos);
  EXPECT_NE(page.find("&lt;oops&gt;"), std::string::npos);
  EXPECT_NE(page.find("id=\"score-chart\""), std::string::npos);
}

TEST(HtmlReport, TheSameRunGivesTheSameBytes) { EXPECT_EQ(fixture_page(), fixture_page()); }

}  // namespace
}  // namespace ksearch::report
