#include "ksearch/llm/retry_policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace ksearch::llm {

namespace {

using std::chrono::milliseconds;

// A Retry-After past this is treated as this: long enough to exceed any sane retry budget,
// small enough that the arithmetic never overflows.
constexpr double max_retry_after_s = 1e7;

[[nodiscard]] std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    const std::size_t start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const std::size_t end = text.find_first_of(" \t");
    words.push_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
  return words;
}

[[nodiscard]] std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

[[nodiscard]] std::optional<unsigned> parse_month(std::string_view name) {
  static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

/// "HH:MM:SS" as seconds since midnight.
[[nodiscard]] std::optional<int> parse_clock(std::string_view text) {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  const auto h = parse_int(text.substr(0, 2));
  const auto m = parse_int(text.substr(3, 2));
  const auto s = parse_int(text.substr(6, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return *h * 3600 + *m * 60 + *s;
}

[[nodiscard]] std::optional<std::chrono::system_clock::time_point> make_time(int year, std::optional<unsigned> month,
                                                                           std::optional<int> day,
                                                                           std::optional<int> seconds) {
  if (!month || !day || !seconds || *day < 1) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(*month),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::seconds(*seconds);
}

/// The three date forms RFC 9110 §5.6.7 says a recipient must accept, all in GMT.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  const auto words = split_spaces(text);
  if (words.size() == 6 && words[0].ends_with(',') && words[5] == "GMT") {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    const auto year = parse_int(words[3]);
    if (!year) return std::nullopt;
    return make_time(*year, parse_month(words[2]), parse_int(words[1]), parse_clock(words[4]));
  }
  if (words.size() == 4 && words[0].ends_with(',') && words[3] == "GMT" && words[1].size() == 9 &&
      words[1][2] == '-' && words[1][6] == '-') {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is taken as 1970..2069.
    const auto yy = parse_int(words[1].substr(7, 2));
    if (!yy) return std::nullopt;
    const int year = *yy < 70 ? 2000 + *yy : 1900 + *yy;
    return make_time(year, parse_month(words[1].substr(3, 3)), parse_int(words[1].substr(0, 2)),
                     parse_clock(words[2]));
  }
  if (words.size() == 5) {
    // asctime: "Sun Nov  6 08:49:37 1994"
    const auto year = parse_int(words[4]);
    if (!year) return std::nullopt;
    return make_time(*year, parse_month(words[1]), parse_int(words[2]), parse_clock(words[3]));
  }
  return std::nullopt;
}

/// "120" or "1.5" [seconds]; nullopt for anything else (signs, exponents, units).
[[nodiscard]] std::optional<double> parse_seconds(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

[[nodiscard]] std::string seconds_text(milliseconds ms) {
  const double s = static_cast<double>(ms.count()) / 1000.0;
  char text[32];
  std::snprintf(text, sizeof text, s < 10 ? "%.1f s" : "%.0f s", s);
  return text;
}

}  // namespace

std::chrono::steady_clock::time_point real_retry_clock::now() { return std::chrono::steady_clock::now(); }

std::chrono::system_clock::time_point real_retry_clock::calendar_now() { return std::chrono::system_clock::now(); }

void real_retry_clock::sleep_for(milliseconds wait) { std::this_thread::sleep_for(wait); }

bool is_retryable_status(long status) { return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599); }

std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) value.remove_suffix(1);
  if (auto seconds = parse_seconds(value)) {
    return milliseconds(static_cast<long long>(std::llround(std::min(*seconds, max_retry_after_s) * 1000.0)));
  }
  if (auto date = parse_http_date(value)) {
    if (*date <= now) return milliseconds(0);
    const auto wait = std::chrono::duration_cast<milliseconds>(*date - now);
    return std::min(wait, milliseconds(static_cast<long long>(max_retry_after_s * 1000.0)));
  }
  return std::nullopt;
}

retry_schedule::retry_schedule(const retry_options& options, std::uint64_t seed) : options_(options), random_(seed) {}

milliseconds retry_schedule::base_backoff(int retry) const {
  milliseconds wait = options_.initial_backoff;
  for (int i = 1; i < retry && wait < options_.max_backoff; ++i) wait *= 2;
  return std::min(wait, options_.max_backoff);
}

retry_decision retry_schedule::next(int attempts_made, milliseconds elapsed, std::optional<milliseconds> server_wait) {
  const int retries_done = attempts_made - 1;
  if (retries_done >= options_.max_retries) {
    return {false, milliseconds(0), "no retries left (--max-retries " + std::to_string(options_.max_retries) + ")"};
  }

  milliseconds wait{0};
  if (server_wait) {
    wait = *server_wait;
  } else {
    const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
    const double cut = jitter > 0 ? std::uniform_real_distribution<double>(0.0, jitter)(random_) : 0.0;
    const auto base = static_cast<double>(base_backoff(retries_done + 1).count());
    wait = milliseconds(static_cast<long long>(base * (1.0 - cut)));
  }

  if (elapsed + wait > options_.max_retry_time) {
    const std::string budget = "--max-retry-time " + seconds_text(options_.max_retry_time);
    if (server_wait) {
      return {false, milliseconds(0),
              "the server asked to wait " + seconds_text(wait) + " (Retry-After), past " + budget};
    }
    return {false, milliseconds(0), "retry time used up (" + budget + ")"};
  }
  return {true, wait, {}};
}

}  // namespace ksearch::llm
