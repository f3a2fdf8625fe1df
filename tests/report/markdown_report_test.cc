#include <gtest/gtest.h>

#include <sstream>

#include "ksearch/report/markdown_report.h"
#include "support/temp_dir.h"

namespace ksearch::report {
namespace {

const std::filesystem::path fixture = std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "run-fixture";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Cells of a table row, split on unescaped '|'.
std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::string current;
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '|' && row[i - 1] != '\\') {
      const std::size_t a = current.find_first_not_of(' '), b = current.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : current.substr(a, b - a + 1));
      current.clear();
    } else {
      current += row[i];
    }
  }
  return cells;
}

// The rows of the table under `heading`.
std::vector<std::vector<std::string>> table_under(const std::string& text, const std::string& heading) {
  std::vector<std::vector<std::string>> rows;
  bool in_section = false;
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with("## ")) in_section = line == heading;
    if (in_section && line.starts_with("|") && !line.starts_with("|---")) rows.push_back(cells_of(line));
  }
  return rows;
}

TEST(MarkdownReport, HasOneTableRowPerRound) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  const std::string md = render_markdown_report(*run);
  const auto rows = table_under(md, "## Rounds");
  ASSERT_EQ(rows.size(), 1u + run->rounds.size());
  const std::size_t columns = rows[0].size();
  EXPECT_EQ(rows[0][0], "round");
  for (std::size_t i = 0; i < run->rounds.size(); ++i) {
    const auto& cells = rows[i + 1];
    ASSERT_EQ(cells.size(), columns) << "round " << i + 1;
    EXPECT_EQ(cells[0], std::to_string(run->rounds[i].round));
    EXPECT_EQ(cells[3], tasks::to_string(run->rounds[i].status));
  }
  EXPECT_EQ(rows[9][9], "best");  // round 9
  EXPECT_EQ(rows[5][9], "same as round 3");
}

TEST(MarkdownReport, SaysWhatRanAndWhatWasBest) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  const std::string md = render_markdown_report(*run);
  EXPECT_TRUE(md.starts_with("# ksearch run: scale_add_d256\n"));
  EXPECT_NE(md.find("- model: gpt-5.2 at https://api.openai.com/v1\n"), std::string::npos);
  EXPECT_NE(md.find("- stop: round budget spent (12 of 12 rounds)"), std::string::npos);
  EXPECT_NE(md.find("- best: score 1.211 (mean_speedup_vs_ref) at round 9, node node_scale_add_d256_r5_1"), std::string::npos);

  const auto statuses = table_under(md, "## Status counts");
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_EQ(statuses[1], (std::vector<std::string>{"PASSED", "7", "2, 3, 4, 5, 8, 9, 11"}));
  const auto workloads = table_under(md, "## Best solution per workload");
  ASSERT_EQ(workloads.size(), 3u);
  EXPECT_EQ(workloads[2][0], "test-0002");
  EXPECT_EQ(workloads[2][4], "1.32x");
  const auto usage = table_under(md, "## Tokens and cost");
  EXPECT_EQ(usage[1][0], "rounds (solutions.jsonl)");
  EXPECT_EQ(usage.back()[0], "**all calls (transcript.jsonl)**");
  const auto nodes = table_under(md, "## World model");
  EXPECT_EQ(nodes.size(), 1u + run->world_model->nodes.size());
  EXPECT_NE(md.find("Chosen path (root to the active leaf): root -> n1 -> "), std::string::npos);
}

TEST(MarkdownReport, APipeInFeedbackCannotBreakARow) {
  test_support::temp_dir dir;
  dir.write("run/solutions.jsonl",
            R"({"kind":"round","round":1,"evaluation":{"status":"COMPILE_ERROR","feedback":"a | b\nsecond line"}})" "\n"
            R"({"kind":"round","round":2,"evaluation":{"status":"PASSED","passed":true,"score":1.5,"latency_ms":0.01}})" "\n");
  auto run = load_run(dir.path() / "run");
  ASSERT_TRUE(run) << run.error().to_string();
  const std::string md = render_markdown_report(*run);
  const auto rows = table_under(md, "## Rounds");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].size(), rows[0].size());
  EXPECT_EQ(rows[1].back(), "a \\| b");
  EXPECT_EQ(rows[2][5], "1.5");
  EXPECT_NE(md.find("## Warnings"), std::string::npos);  // no run.json
}

}  // namespace
}  // namespace ksearch::report
