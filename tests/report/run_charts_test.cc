#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "ksearch/report/palette.h"
#include "ksearch/report/run_charts.h"
#include "report/markup_check.h"

namespace ksearch::report {
namespace {

struct marker {
  double cx, cy;
  std::string fill;
};

// The round markers: circles of radius 5 (the status markers), in document order.
std::vector<marker> round_markers(const std::string& svg) {
  static const std::regex pattern(R"re(<circle class="point" cx="([-0-9.]+)" cy="([-0-9.]+)" r="5.0" fill="([^"]*)")re");
  std::vector<marker> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern); it != std::sregex_iterator(); ++it) {
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[3]});
  }
  return out;
}

TEST(RunCharts, ScoreChartHasAMarkerPerRoundColouredByStatus) {
  auto run = load_run(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "run-fixture");
  ASSERT_TRUE(run) << run.error().to_string();
  const svg_chart chart = score_chart(*run);
  const std::string svg = chart.render();
  ASSERT_FALSE(test::check_markup(svg, false).problem);
  const auto markers = round_markers(svg);
  ASSERT_EQ(markers.size(), run->rounds.size());
  const plot_box box = chart.plot_area();
  for (const round_row& r : run->rounds) {
    // Each round's marker sits at its round, whether in the plot or in the strip.
    const auto at = std::find_if(markers.begin(), markers.end(),
                                 [&](const marker& m) { return std::abs(m.cx - chart.x_pixel(r.round)) < 0.051; });
    ASSERT_NE(at, markers.end()) << "round " << r.round;
    EXPECT_EQ(at->fill, std::string(status_color(r.status))) << "round " << r.round;
    if (r.score) {
      EXPECT_NEAR(at->cy, chart.y_pixel(*r.score), 0.051) << "round " << r.round;
      EXPECT_LT(at->cy, box.top + box.height);
    } else {
      EXPECT_GT(at->cy, box.top + box.height) << "round " << r.round << " (" << r.status << ") belongs in the strip";
    }
  }
  EXPECT_NE(svg.find("best so far"), std::string::npos);
  EXPECT_NE(svg.find("reference (1.0x)"), std::string::npos);
  for (const char* status : {"PASSED", "COMPILE_ERROR", "INCORRECT_NUMERICAL", "LLM_ERROR"}) {
    EXPECT_NE(svg.find(std::string(">") + status + "<"), std::string::npos) << status << " in the legend";
  }
}

TEST(RunCharts, LatencyAndUsageChartsRender) {
  auto run = load_run(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "run-fixture");
  ASSERT_TRUE(run) << run.error().to_string();
  const svg_chart latency = latency_chart(*run);
  const std::string svg = latency.render();
  ASSERT_FALSE(test::check_markup(svg, false).problem);
  const auto markers = round_markers(svg);
  ASSERT_EQ(markers.size(), run->rounds.size());
  const double round9_x = latency.x_pixel(9);
  const auto round9 = std::find_if(markers.begin(), markers.end(), [&](const marker& m) { return std::abs(m.cx - round9_x) < 0.051; });
  ASSERT_NE(round9, markers.end());
  EXPECT_NEAR(round9->cy, latency.y_pixel(*run->rounds[8].latency_ms), 0.051);
  EXPECT_NE(svg.find("reference 0.00575 ms"), std::string::npos);

  for (const svg_chart& chart : {tokens_chart(*run), cost_chart(*run)}) {
    const std::string text = chart.render();
    const auto check = test::check_markup(text, false);
    EXPECT_FALSE(check.problem) << *check.problem;
  }
  // The transcript costs more than the rounds: the world model's calls show as a line.
  EXPECT_NE(cost_chart(*run).render().find("all LLM calls $0.4304"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::report
