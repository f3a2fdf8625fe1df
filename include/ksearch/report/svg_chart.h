// ksearch/report/svg_chart.h — a small SVG line and scatter chart writer.
//
// Enough of a plotting library for the run report, with no dependency and no script: axes with
// "nice" ticks (1, 2, 2.5, 5 × 10^k), gridlines, axis labels, a title and a legend, series drawn as
// lines (straight or stepped) and/or markers, horizontal reference lines, and a strip under the
// plot for points that have no y value (a failed round has no score, but its status still belongs
// on the chart, at its round). Every marker can carry a tooltip (an SVG <title>). The output is one
// <svg> element with a viewBox, so it scales with the page; all text is escaped.
//
// Coordinates: x_pixel / y_pixel map data values to the SVG's user units, the same mapping render
// uses, so callers and tests can place or check things. The domain is the options' fixed ends
// where given, else the data's range widened to whole tick steps.
//
// Thread-safety: a plain value; render() and the mappings are const.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ksearch::report {

enum class marker_shape { none, circle, square, diamond, cross };

struct chart_point {
  double x = 0;
  std::optional<double> y;  // nullopt: drawn in the strip under the plot, at x
  std::string color;        // "" = the series' colour
  std::string tooltip;      // hover text; "" = none
};

struct chart_series {
  std::string name;            // legend text; "" keeps the series out of the legend
  std::string color = "#2563eb";
  bool line = true;            // join the points that have a y, in the order given
  bool step = false;           // a step line: each value holds until the next point's x
  bool dashed = false;
  double line_width = 2;       // [px]
  marker_shape marker = marker_shape::circle;
  double marker_size = 4;      // half the marker's width [px]
  std::vector<chart_point> points;
};

struct legend_entry {
  std::string label;
  std::string color;
  marker_shape marker = marker_shape::square;
};

struct chart_options {
  std::string id;                        // id of the <svg> element ("" = none)
  std::string title, x_label, y_label;
  int width = 960, height = 300;         // [px], also the viewBox
  std::optional<double> x_min, x_max;    // fixed domain ends; the data decides the others
  std::optional<double> y_min, y_max;
  bool integer_x_ticks = false;          // ticks only at whole numbers (rounds)
  std::string strip_label;               // shown left of the strip (drawn when some point has no y)
  std::vector<legend_entry> extra_legend;  // entries besides the named series (e.g. status colours)
};

/// The plot area in SVG user units: x from left to left + width, y from top (domain max) to
/// top + height (domain min).
struct plot_box {
  double left = 0, top = 0, width = 0, height = 0;
};

class svg_chart {
 public:
  explicit svg_chart(chart_options options) : options_(std::move(options)) {}

  void add_series(chart_series series) { series_.push_back(std::move(series)); }
  /// A dashed horizontal line at `y` across the plot, labelled at its right end.
  void add_reference_line(double y, std::string label, std::string color);

  [[nodiscard]] plot_box plot_area() const;
  [[nodiscard]] double x_pixel(double x) const;
  [[nodiscard]] double y_pixel(double y) const;
  /// Whether the strip under the plot is drawn: some point has no y.
  [[nodiscard]] bool has_strip() const;
  [[nodiscard]] std::string render() const;

 private:
  struct domain {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  };
  struct reference_line {
    double y = 0;
    std::string label, color;
  };
  [[nodiscard]] domain resolve_domain() const;
  [[nodiscard]] double legend_width() const;
  [[nodiscard]] bool legend_on_own_row() const;
  [[nodiscard]] double strip_centre() const;

  chart_options options_;
  std::vector<chart_series> series_;
  std::vector<reference_line> references_;
};

/// Estimated width of `text` set in a sans-serif font of `font_px` [px]. Without a browser there
/// are no font metrics; the estimate errs wide (per-character widths of DejaVu Sans, the widest
/// common default) so that labels placed by it do not collide.
[[nodiscard]] double estimate_text_width(std::string_view text, double font_px);

/// Ticks covering [lo, hi] with about `target_count` intervals, at multiples of a nice step
/// (1, 2, 2.5 or 5 × 10^k), in increasing order. `integer_step` keeps the step at 1 or more.
[[nodiscard]] std::vector<double> nice_ticks(double lo, double hi, int target_count, bool integer_step = false);

/// The step nice_ticks would use.
[[nodiscard]] double nice_step(double lo, double hi, int target_count, bool integer_step = false);

}  // namespace ksearch::report
