#include "ksearch/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ksearch/report/format.h"

namespace ksearch::report {

namespace {

// Layout [px].
constexpr double margin_left = 64;
constexpr double margin_right = 18;
constexpr double title_baseline = 18;
constexpr double top_with_title_row = 32;
constexpr double legend_row_baseline = 38;
constexpr double top_with_legend_row = 50;
constexpr double bottom_axis = 42;   // x tick labels and the x label
constexpr double strip_height = 24;  // the band for points without a y, under the plot
constexpr double legend_font = 12;
constexpr double title_font = 14;  // 13 px, bold
constexpr const char* font = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";

std::string px(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::abs(v) < 0.05 ? 0.0 : v);
  return text;
}

std::string attr(std::string_view value) { return "\"" + escape_html(value) + "\""; }

// `css_class`: "point" for data, "legend-marker" for the legend, so that the two can be told apart.
std::string marker_svg(marker_shape shape, double cx, double cy, double size, const std::string& color,
                       const std::string& tooltip, const char* css_class = "point") {
  const std::string cls = std::string("class=\"") + css_class + "\"";
  std::string open;
  std::string tag;
  switch (shape) {
    case marker_shape::none: return {};
    case marker_shape::circle:
      tag = "circle";
      open = "<circle " + cls + " cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"" + px(size) + "\" fill=" + attr(color) +
             " stroke=\"#ffffff\" stroke-width=\"1\"";
      break;
    case marker_shape::square:
      tag = "rect";
      open = "<rect " + cls + " x=\"" + px(cx - size) + "\" y=\"" + px(cy - size) + "\" width=\"" + px(2 * size) +
             "\" height=\"" + px(2 * size) + "\" fill=" + attr(color) + " stroke=\"#ffffff\" stroke-width=\"1\"";
      break;
    case marker_shape::diamond: {
      const double s = size * 1.35;
      tag = "path";
      open = "<path " + cls + " d=\"M" + px(cx) + " " + px(cy - s) + " L" + px(cx + s) + " " + px(cy) + " L" + px(cx) + " " +
             px(cy + s) + " L" + px(cx - s) + " " + px(cy) + " Z\" fill=" + attr(color) + " stroke=\"#ffffff\" stroke-width=\"1\"";
      break;
    }
    case marker_shape::cross:
      tag = "path";
      open = "<path " + cls + " d=\"M" + px(cx - size) + " " + px(cy - size) + " L" + px(cx + size) + " " + px(cy + size) +
             " M" + px(cx - size) + " " + px(cy + size) + " L" + px(cx + size) + " " + px(cy - size) + "\" stroke=" +
             attr(color) + " stroke-width=\"2.2\" fill=\"none\"";
      break;
  }
  if (tooltip.empty()) return open + "/>";
  return open + "><title>" + escape_html(tooltip) + "</title></" + tag + ">";
}

// Fits one axis: fixed ends where given, else the data's range widened to whole tick steps.
void fit_axis(std::optional<double> fixed_lo, std::optional<double> fixed_hi, const std::vector<double>& values,
              int target_ticks, bool integer_step, double& lo, double& hi) {
  double data_lo = 0, data_hi = 1;
  if (!values.empty()) {
    data_lo = *std::min_element(values.begin(), values.end());
    data_hi = *std::max_element(values.begin(), values.end());
  }
  lo = fixed_lo.value_or(data_lo);
  hi = fixed_hi.value_or(data_hi);
  if (!(hi > lo)) {  // one value, or fixed ends that cross the data: open a window around it
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    if (!fixed_lo) lo -= pad;
    if (!fixed_hi) hi += pad;
    if (!(hi > lo)) hi = lo + 1;
  }
  // Air above and below the data (5% of the range) so that no marker sits on the frame.
  const double air = (hi - lo) * 0.05;
  if (!fixed_lo) lo = lo >= 0 && lo - air < 0 ? 0 : lo - air;  // data that is never negative keeps 0 as its floor
  if (!fixed_hi) hi += air;
  const double step = nice_step(lo, hi, target_ticks, integer_step);
  if (!fixed_lo) lo = std::floor(lo / step + 1e-9) * step;
  if (!fixed_hi) hi = std::ceil(hi / step - 1e-9) * step;
  if (!(hi > lo)) hi = lo + step;
}

int x_tick_target(const plot_box& box) { return std::max(2, static_cast<int>(box.width / 70)); }
int y_tick_target(const plot_box& box) { return std::max(2, static_cast<int>(box.height / 45)); }

}  // namespace

double estimate_text_width(std::string_view text, double font_px) {
  double em = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0U) == 0x80U) continue;  // UTF-8 continuation byte
    if (c >= 0x80U) {
      em += 0.9;  // arrows, stars, accented letters: count wide
    } else if (c == 'M' || c == 'W' || c == 'm' || c == 'w') {
      em += 0.9;
    } else if (c == 'i' || c == 'l' || c == 'j' || c == 'I' || c == '.' || c == ',' || c == ':' || c == ';' || c == '\'' ||
               c == '|' || c == '!') {
      em += 0.32;
    } else if (c == ' ') {
      em += 0.32;
    } else if (c >= 'A' && c <= 'Z') {
      em += 0.72;
    } else if (c == 'f' || c == 't' || c == 'r' || c == '(' || c == ')' || c == '[' || c == ']') {
      em += 0.42;
    } else {
      em += 0.6;  // lower-case letters, digits, '_' and the rest
    }
  }
  return em * font_px;
}

double nice_step(double lo, double hi, int target_count, bool integer_step) {
  const double range = hi - lo;
  if (!(range > 0) || !std::isfinite(range)) return 1;
  const double raw = range / std::max(1, target_count);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  double mantissa = 10;
  if (fraction <= 1) {
    mantissa = 1;
  } else if (fraction <= 2) {
    mantissa = 2;
  } else if (fraction <= 2.5) {
    mantissa = 2.5;
  } else if (fraction <= 5) {
    mantissa = 5;
  }
  double step = mantissa * power;
  if (integer_step) {
    if (step < 1) step = 1;
    if (step != std::floor(step)) step = std::ceil(step / 5) * 5;  // 2.5 -> 5
  }
  return step;
}

std::vector<double> nice_ticks(double lo, double hi, int target_count, bool integer_step) {
  std::vector<double> ticks;
  if (!(hi >= lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double step = nice_step(lo, hi, target_count, integer_step);
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (int i = 0; i < 1000; ++i) {
    double tick = first + i * step;
    if (tick > hi + step * 1e-9) break;
    if (std::abs(tick) < step * 1e-9) tick = 0;  // no "-0"
    ticks.push_back(tick);
  }
  return ticks;
}

void svg_chart::add_reference_line(double y, std::string label, std::string color) {
  references_.push_back({y, std::move(label), std::move(color)});
}

bool svg_chart::has_strip() const {
  return std::any_of(series_.begin(), series_.end(), [](const chart_series& s) {
    return std::any_of(s.points.begin(), s.points.end(), [](const chart_point& p) { return !p.y.has_value(); });
  });
}

double svg_chart::legend_width() const {
  double width = 0;
  auto add = [&](const std::string& label) { width += 18 + estimate_text_width(label, legend_font) + 14; };
  for (const chart_series& s : series_) {
    if (!s.name.empty()) add(s.name);
  }
  for (const legend_entry& e : options_.extra_legend) add(e.label);
  return width;
}

bool svg_chart::legend_on_own_row() const {
  const double title = estimate_text_width(options_.title, title_font);
  return margin_left + title + 24 + legend_width() > options_.width - margin_right;
}

plot_box svg_chart::plot_area() const {
  plot_box box;
  box.left = margin_left;
  box.top = legend_on_own_row() ? top_with_legend_row : top_with_title_row;
  box.width = std::max(10.0, options_.width - margin_left - margin_right);
  const double bottom = bottom_axis + (has_strip() ? strip_height : 0);
  box.height = std::max(10.0, options_.height - box.top - bottom);
  return box;
}

svg_chart::domain svg_chart::resolve_domain() const {
  std::vector<double> xs, ys;
  for (const chart_series& s : series_) {
    for (const chart_point& p : s.points) {
      if (std::isfinite(p.x)) xs.push_back(p.x);
      if (p.y && std::isfinite(*p.y)) ys.push_back(*p.y);
    }
  }
  for (const reference_line& r : references_) ys.push_back(r.y);
  const plot_box box = plot_area();
  domain d;
  fit_axis(options_.x_min, options_.x_max, xs, x_tick_target(box), options_.integer_x_ticks, d.x0, d.x1);
  fit_axis(options_.y_min, options_.y_max, ys, y_tick_target(box), false, d.y0, d.y1);
  return d;
}

double svg_chart::x_pixel(double x) const {
  const plot_box box = plot_area();
  const domain d = resolve_domain();
  return box.left + (x - d.x0) / (d.x1 - d.x0) * box.width;
}

double svg_chart::y_pixel(double y) const {
  const plot_box box = plot_area();
  const domain d = resolve_domain();
  return box.top + box.height - (y - d.y0) / (d.y1 - d.y0) * box.height;
}

double svg_chart::strip_centre() const {
  const plot_box box = plot_area();
  return box.top + box.height + strip_height / 2 + 3;
}

std::string svg_chart::render() const {
  const plot_box box = plot_area();
  const domain d = resolve_domain();
  const double right = box.left + box.width;
  const double bottom = box.top + box.height;
  const bool strip = has_strip();
  const std::string base_id = options_.id.empty() ? "chart" : options_.id;
  std::string out;

  // 1. The element, its accessible title, the clip of the plot area and the background.
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\"";
  if (!options_.id.empty()) out += " id=" + attr(options_.id);
  out += " class=\"chart\" viewBox=\"0 0 " + std::to_string(options_.width) + " " + std::to_string(options_.height) +
         "\" width=\"" + std::to_string(options_.width) + "\" height=\"" + std::to_string(options_.height) +
         "\" role=\"img\" aria-label=" + attr(options_.title) + " " + font + ">\n";
  out += "<title>" + escape_html(options_.title) + "</title>\n";
  out += "<defs><clipPath id=" + attr(base_id + "-clip") + "><rect x=\"" + px(box.left) + "\" y=\"" + px(box.top - 6) +
         "\" width=\"" + px(box.width) + "\" height=\"" + px(box.height + 12) + "\"/></clipPath></defs>\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(options_.width) + "\" height=\"" + std::to_string(options_.height) +
         "\" fill=\"#ffffff\"/>\n";

  // 2. Title and legend (beside the title, or on a row of its own when they would collide).
  out += "<text class=\"chart-title\" x=\"" + px(box.left) + "\" y=\"" + px(title_baseline) +
         "\" font-size=\"13\" font-weight=\"600\" fill=\"#111827\">" + escape_html(options_.title) + "</text>\n";
  {
    const double baseline = legend_on_own_row() ? legend_row_baseline : title_baseline;
    double x = legend_on_own_row() ? box.left : options_.width - margin_right - legend_width();
    out += "<g class=\"legend\" font-size=\"12\" fill=\"#374151\">";
    auto entry = [&](const std::string& label, const std::string& color, marker_shape shape, bool line, bool dashed) {
      if (line) {
        out += "<line x1=\"" + px(x) + "\" y1=\"" + px(baseline - 4) + "\" x2=\"" + px(x + 14) + "\" y2=\"" + px(baseline - 4) +
               "\" stroke=" + attr(color) + " stroke-width=\"2\"" + (dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>";
      }
      if (shape != marker_shape::none) out += marker_svg(shape, x + 7, baseline - 4, 4, color, "", "legend-marker");
      out += "<text x=\"" + px(x + 18) + "\" y=\"" + px(baseline) + "\">" + escape_html(label) + "</text>";
      x += 18 + estimate_text_width(label, legend_font) + 14;
    };
    for (const chart_series& s : series_) {
      if (!s.name.empty()) entry(s.name, s.color, s.marker, s.line, s.dashed);
    }
    for (const legend_entry& e : options_.extra_legend) entry(e.label, e.color, e.marker, false, false);
    out += "</g>\n";
  }

  // 3. Gridlines, ticks, axes and axis labels.
  out += "<g class=\"y-axis\" font-size=\"11\" fill=\"#4b5563\">";
  for (const double tick : nice_ticks(d.y0, d.y1, y_tick_target(box))) {
    const double y = y_pixel(tick);
    out += "<line x1=\"" + px(box.left) + "\" y1=\"" + px(y) + "\" x2=\"" + px(right) + "\" y2=\"" + px(y) +
           "\" stroke=\"#e5e7eb\" stroke-width=\"1\"/>";
    out += "<text x=\"" + px(box.left - 6) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" + escape_html(format_number(tick, 6)) +
           "</text>";
  }
  out += "</g>\n<g class=\"x-axis\" font-size=\"11\" fill=\"#4b5563\">";
  const double tick_label_y = bottom + (strip ? strip_height : 0) + 16;
  for (const double tick : nice_ticks(d.x0, d.x1, x_tick_target(box), options_.integer_x_ticks)) {
    const double x = x_pixel(tick);
    out += "<line x1=\"" + px(x) + "\" y1=\"" + px(bottom) + "\" x2=\"" + px(x) + "\" y2=\"" + px(bottom + 4) +
           "\" stroke=\"#6b7280\" stroke-width=\"1\"/>";
    out += "<text x=\"" + px(x) + "\" y=\"" + px(tick_label_y) + "\" text-anchor=\"middle\">" + escape_html(format_number(tick, 6)) +
           "</text>";
  }
  out += "</g>\n";
  out += "<path class=\"axes\" d=\"M" + px(box.left) + " " + px(box.top) + " V" + px(bottom) + " H" + px(right) +
         "\" stroke=\"#6b7280\" stroke-width=\"1\" fill=\"none\"/>\n";
  if (!options_.y_label.empty()) {
    out += "<text class=\"axis-label\" transform=\"translate(14 " + px(box.top + box.height / 2) +
           ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#374151\">" + escape_html(options_.y_label) + "</text>\n";
  }
  if (!options_.x_label.empty()) {
    out += "<text class=\"axis-label\" x=\"" + px(box.left + box.width / 2) + "\" y=\"" + px(options_.height - 5.0) +
           "\" text-anchor=\"middle\" font-size=\"12\" fill=\"#374151\">" + escape_html(options_.x_label) + "</text>\n";
  }

  // 4. Reference lines, then the series: lines first so that markers sit on top.
  out += "<g clip-path=\"url(#" + escape_html(base_id) + "-clip)\">\n";
  for (const reference_line& r : references_) {
    const double y = y_pixel(r.y);
    out += "<line class=\"reference\" x1=\"" + px(box.left) + "\" y1=\"" + px(y) + "\" x2=\"" + px(right) + "\" y2=\"" + px(y) +
           "\" stroke=" + attr(r.color) + " stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>";
    out += "<text x=\"" + px(right - 4) + "\" y=\"" + px(y - 4) + "\" text-anchor=\"end\" font-size=\"10\" fill=" + attr(r.color) +
           ">" + escape_html(r.label) + "</text>\n";
  }
  for (const chart_series& s : series_) {
    if (!s.line) continue;
    std::string path;
    for (const chart_point& p : s.points) {
      if (!p.y || !std::isfinite(*p.y)) continue;
      const double x = x_pixel(p.x);
      const double y = y_pixel(*p.y);
      if (path.empty()) {
        path = "M" + px(x) + " " + px(y);
      } else if (s.step) {
        path += " H" + px(x) + " V" + px(y);
      } else {
        path += " L" + px(x) + " " + px(y);
      }
    }
    if (path.empty()) continue;
    out += "<path class=\"series-line\" d=\"" + path + "\" fill=\"none\" stroke=" + attr(s.color) + " stroke-width=\"" +
           px(s.line_width) + "\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + " stroke-linejoin=\"round\"/>\n";
  }
  for (const chart_series& s : series_) {
    for (const chart_point& p : s.points) {
      if (!p.y || !std::isfinite(*p.y)) continue;
      out += marker_svg(s.marker, x_pixel(p.x), y_pixel(*p.y), s.marker_size, p.color.empty() ? s.color : p.color, p.tooltip);
    }
  }
  out += "\n</g>\n";

  // 5. The strip: points without a y, at their x, under the plot.
  if (strip) {
    const double centre = strip_centre();
    out += "<g class=\"strip\"><rect x=\"" + px(box.left) + "\" y=\"" + px(centre - strip_height / 2 + 2) + "\" width=\"" +
           px(box.width) + "\" height=\"" + px(strip_height - 4) + "\" fill=\"#f3f4f6\"/>";
    if (!options_.strip_label.empty()) {
      out += "<text x=\"" + px(box.left - 6) + "\" y=\"" + px(centre + 4) + "\" text-anchor=\"end\" font-size=\"11\" fill=\"#4b5563\">" +
             escape_html(options_.strip_label) + "</text>";
    }
    for (const chart_series& s : series_) {
      for (const chart_point& p : s.points) {
        if (p.y) continue;
        const marker_shape shape = s.marker == marker_shape::none ? marker_shape::square : s.marker;
        out += marker_svg(shape, x_pixel(p.x), centre, s.marker_size, p.color.empty() ? s.color : p.color, p.tooltip);
      }
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace ksearch::report
