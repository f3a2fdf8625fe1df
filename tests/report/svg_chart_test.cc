#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "ksearch/report/svg_chart.h"
#include "report/markup_check.h"

namespace ksearch::report {
namespace {

struct circle {
  double cx, cy;
  std::string fill;
};

std::vector<circle> circles_in(const std::string& svg) {
  static const std::regex pattern(R"re(<circle class="point" cx="([-0-9.]+)" cy="([-0-9.]+)" r="[0-9.]+" fill="([^"]*)")re");
  std::vector<circle> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern); it != std::sregex_iterator(); ++it) {
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[3]});
  }
  return out;
}

TEST(SvgChart, IsWellFormedSvg) {
  svg_chart chart({.id = "c", .title = "Score <per> round & more", .x_label = "round", .y_label = "score"});
  chart.add_series({.name = "best", .step = true, .points = {{.x = 1, .y = 1.0}, {.x = 2, .y = 1.5}}});
  chart.add_series({.line = false, .marker = marker_shape::cross,
                    .points = {{.x = 3, .tooltip = "failed: got <NaN> & \"worse\""}, {.x = 4, .y = 0.5}}});
  chart.add_reference_line(1.0, "reference", "#888");
  const std::string svg = chart.render();
  const test::markup_check check = test::check_markup(svg, /*html=*/false);
  ASSERT_FALSE(check.problem) << *check.problem << "\n" << svg;
  EXPECT_EQ(check.count("svg"), 1u);
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"c\""));
  EXPECT_NE(svg.find("Score &lt;per&gt; round &amp; more"), std::string::npos);
  EXPECT_NE(svg.find("<title>failed: got &lt;NaN&gt; &amp; &quot;worse&quot;</title>"), std::string::npos);
  EXPECT_NE(svg.find("class=\"strip\""), std::string::npos);
}

TEST(SvgChart, PointsLandWhereTheDomainSays) {
  svg_chart chart({.id = "c", .title = "t", .width = 600, .height = 300, .x_min = 0, .x_max = 10, .y_min = 0, .y_max = 2});
  const std::vector<std::pair<double, double>> points = {{0, 0}, {2.5, 0.5}, {5, 1}, {10, 2}, {7.5, 1.75}};
  chart_series s{.line = false};
  for (const auto& [x, y] : points) s.points.push_back({.x = x, .y = y});
  chart.add_series(s);
  const plot_box box = chart.plot_area();
  EXPECT_GT(box.width, 400);
  EXPECT_GT(box.height, 150);
  const auto drawn = circles_in(chart.render());
  ASSERT_EQ(drawn.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double expected_x = box.left + points[i].first / 10.0 * box.width;
    const double expected_y = box.top + box.height - points[i].second / 2.0 * box.height;  // up is larger
    EXPECT_NEAR(drawn[i].cx, expected_x, 0.051) << "point " << i;
    EXPECT_NEAR(drawn[i].cy, expected_y, 0.051) << "point " << i;
    EXPECT_NEAR(chart.x_pixel(points[i].first), expected_x, 1e-9);
    EXPECT_NEAR(chart.y_pixel(points[i].second), expected_y, 1e-9);
  }
  EXPECT_NEAR(drawn[0].cx, box.left, 0.051);                // (0, 0) is the bottom-left corner
  EXPECT_NEAR(drawn[0].cy, box.top + box.height, 0.051);
  EXPECT_NEAR(drawn[3].cy, box.top, 0.051);                 // y max is the top edge
}

TEST(SvgChart, AutomaticDomainHoldsEveryPointOnNiceTicks) {
  svg_chart chart({.id = "c", .title = "t"});
  chart_series s{.line = true};
  for (int i = 1; i <= 12; ++i) s.points.push_back({.x = static_cast<double>(i), .y = 0.0031 + 0.0002 * (i % 5)});
  chart.add_series(s);
  const plot_box box = chart.plot_area();
  for (const circle& c : circles_in(chart.render())) {
    EXPECT_GE(c.cx, box.left - 0.05);
    EXPECT_LE(c.cx, box.left + box.width + 0.05);
    EXPECT_GT(c.cy, box.top);                // air above the highest point
    EXPECT_LT(c.cy, box.top + box.height);   // and below the lowest
  }
}

TEST(SvgChart, PointsWithoutAValueGoToTheStripInTheirColour) {
  svg_chart chart({.id = "c", .title = "t", .x_min = 0.5, .x_max = 4.5, .y_min = 0, .y_max = 2, .strip_label = "no score"});
  chart.add_series({.line = false, .points = {{.x = 1, .y = 1.0, .color = "#00aa00"}, {.x = 2, .color = "#ff0000"}, {.x = 3, .color = "#0000ff"}}});
  ASSERT_TRUE(chart.has_strip());
  const plot_box box = chart.plot_area();
  const auto drawn = circles_in(chart.render());
  ASSERT_EQ(drawn.size(), 3u);
  EXPECT_LT(drawn[0].cy, box.top + box.height);
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_GT(drawn[i].cy, box.top + box.height) << "under the plot";
    EXPECT_NEAR(drawn[i].cx, chart.x_pixel(static_cast<double>(i + 1)), 0.051) << "at its x";
  }
  EXPECT_EQ(drawn[1].fill, "#ff0000");
  EXPECT_EQ(drawn[2].fill, "#0000ff");

  svg_chart no_strip({.id = "d", .title = "t"});
  no_strip.add_series({.points = {{.x = 1, .y = 1.0}}});
  EXPECT_FALSE(no_strip.has_strip());
  EXPECT_EQ(no_strip.render().find("class=\"strip\""), std::string::npos);
}

TEST(SvgChart, StepLinesHoldTheirValueUntilTheNextPoint) {
  svg_chart chart({.id = "c", .title = "t", .x_min = 0, .x_max = 4, .y_min = 0, .y_max = 4});
  chart.add_series({.step = true, .marker = marker_shape::none, .points = {{.x = 1, .y = 1.0}, {.x = 3, .y = 2.0}}});
  const std::string svg = chart.render();
  auto px = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", v);
    return std::string(text);
  };
  const std::string expected = "d=\"M" + px(chart.x_pixel(1)) + " " + px(chart.y_pixel(1)) + " H" + px(chart.x_pixel(3)) + " V" +
                               px(chart.y_pixel(2)) + "\"";
  EXPECT_NE(svg.find(expected), std::string::npos) << expected << "\n" << svg;
}

TEST(NiceTicks, CoverTheRangeOnRoundSteps) {
  const auto tenths = nice_ticks(0, 1, 5);
  ASSERT_EQ(tenths.size(), 6u);
  for (std::size_t i = 0; i < tenths.size(); ++i) EXPECT_NEAR(tenths[i], 0.2 * static_cast<double>(i), 1e-12);
  for (const auto& [lo, hi, n] : std::vector<std::tuple<double, double, int>>{{0, 0.0062, 5}, {0.95, 1.25, 6}, {-3, 17, 4}, {0, 15000, 5}}) {
    const auto ticks = nice_ticks(lo, hi, n);
    ASSERT_GE(ticks.size(), 2u) << lo << ".." << hi;
    const double step = ticks[1] - ticks[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 || std::abs(mantissa - 2.5) < 1e-6 ||
                std::abs(mantissa - 5) < 1e-6)
        << step;
    EXPECT_GE(ticks.front(), lo - 1e-12);
    EXPECT_LT(ticks.front() - step, lo);
    EXPECT_LE(ticks.back(), hi + 1e-12);
    EXPECT_GT(ticks.back() + step, hi);
  }
  const auto rounds = nice_ticks(0.5, 12.5, 14, /*integer_step=*/true);
  for (const double t : rounds) EXPECT_EQ(t, std::floor(t));
  EXPECT_EQ(rounds.front(), 1);
  EXPECT_EQ(nice_step(0.5, 3.5, 10, true), 1);
  EXPECT_TRUE(nice_ticks(1, 0, 5).empty());
}

}  // namespace
}  // namespace ksearch::report
