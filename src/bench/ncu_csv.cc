#include "ksearch/bench/ncu_csv.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "ksearch/common/text.h"

namespace ksearch::bench {

namespace {

// ncu's lines end in "\r\n" on some systems.
std::string_view trim(std::string_view s) { return ksearch::trim(s, " \t\r"); }

// A number as ncu prints it: optional thousands separators, no unit.
std::optional<double> parse_number(std::string_view text) {
  std::string digits;
  for (char c : trim(text)) {
    if (c != ',') digits += c;
  }
  if (digits.empty()) return std::nullopt;
  double value = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// The columns parse_ncu_csv needs, as positions in the header.
struct columns {
  std::size_t id, kernel, metric, unit, value;
  std::size_t count;
};

result<columns> find_columns(const std::vector<std::string>& header, const std::string& where) {
  std::map<std::string, std::size_t, std::less<>> position;
  for (std::size_t i = 0; i < header.size(); ++i) position.emplace(header[i], i);
  std::string missing;
  auto need = [&](std::string_view name) -> std::size_t {
    if (auto it = position.find(name); it != position.end()) return it->second;
    missing += (missing.empty() ? "" : ", ") + std::string(name);
    return 0;
  };
  columns c{need("ID"),          need("Kernel Name"),  need("Metric Name"),
            need("Metric Unit"), need("Metric Value"), header.size()};
  if (!missing.empty()) {
    return fail(where, "the header has no column " + missing, "run ncu with --csv --page details");
  }
  return c;
}

bool is_header(const std::vector<std::string>& fields) { return !fields.empty() && fields[0] == "ID"; }

}  // namespace

result<std::vector<std::string>> split_csv_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> fields;
  std::string field;
  std::size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) return fail("csv column " + std::to_string(i), "a quoted field is not closed");
      if (i < line.size() && line[i] != ',') {
        return fail("csv column " + std::to_string(i + 1), "text after a closing quote");
      }
    } else {
      while (i < line.size() && line[i] != ',') field += line[i++];
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

result<std::vector<ncu_row>> parse_ncu_csv(std::string_view text) {
  std::vector<ncu_row> rows;
  std::optional<columns> cols;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_no;
    if (!trim(line).starts_with('"')) continue;  // ncu messages and the program's own output
    const std::string where = "ncu csv line " + std::to_string(line_no);
    auto fields = split_csv_line(trim(line));
    if (!fields) return fail(where, fields.error().subject + ": " + fields.error().problem);
    if (is_header(*fields)) {
      auto found = find_columns(*fields, where);
      if (!found) return std::unexpected(found.error());
      cols = *found;
      continue;
    }
    if (!cols) continue;  // a quoted line before any header is not ours
    if (fields->size() < cols->count) {
      return fail(where, std::to_string(fields->size()) + " fields, the header has " + std::to_string(cols->count));
    }
    const auto id = parse_number((*fields)[cols->id]);
    if (!id || *id < 0 || *id != static_cast<double>(static_cast<std::int64_t>(*id))) {
      return fail(where, "ID '" + (*fields)[cols->id] + "' is not a launch number");
    }
    const auto value = parse_number((*fields)[cols->value]);
    if (!value) {
      return fail(where,
                  "metric " + (*fields)[cols->metric] + " has value '" + (*fields)[cols->value] + "', not a number");
    }
    rows.push_back({static_cast<std::int64_t>(*id), (*fields)[cols->kernel], (*fields)[cols->metric],
                    (*fields)[cols->unit], *value});
  }
  return rows;  // no header at all: nothing was profiled, which the caller reports
}

result<double> duration_ms(double value, std::string_view unit) {
  if (unit == "nsecond" || unit == "ns") return value * 1e-6;
  if (unit == "usecond" || unit == "us") return value * 1e-3;
  if (unit == "msecond" || unit == "ms") return value;
  if (unit == "second" || unit == "s") return value * 1e3;
  return fail("metric unit '" + std::string(unit) + "'", "not a duration unit",
              "profile a time metric such as gpu__time_duration.sum");
}

result<std::vector<double>> call_durations_ms(std::span<const ncu_row> rows, std::string_view metric,
                                              std::span<const std::string> call_kernels) {
  if (call_kernels.empty()) return fail("call kernels", "a call must launch at least one kernel");
  std::vector<const ncu_row*> launches;
  for (const ncu_row& row : rows) {
    if (row.metric_name == metric) launches.push_back(&row);
  }
  std::stable_sort(launches.begin(), launches.end(), [](const ncu_row* a, const ncu_row* b) { return a->id < b->id; });

  std::vector<double> calls;
  const std::size_t per_call = call_kernels.size();
  for (std::size_t start = 0; start + per_call <= launches.size(); start += per_call) {
    double total = 0;
    for (std::size_t k = 0; k < per_call; ++k) {
      const ncu_row& row = *launches[start + k];
      if (row.kernel_name != call_kernels[k]) {
        return fail("ncu result ID " + std::to_string(row.id),
                    "kernel '" + row.kernel_name + "' where the call's launch " + std::to_string(k + 1) + " of " +
                        std::to_string(per_call) + " is '" + call_kernels[k] + "'",
                    "the launch window must start at a call boundary (launch-skip a multiple of the kernels per call)");
      }
      auto ms = duration_ms(row.value, row.unit);
      if (!ms) return std::unexpected(ms.error());
      total += *ms;
    }
    calls.push_back(total);
  }
  return calls;
}

std::string first_ncu_error(std::string_view output) {
  constexpr std::string_view marker = "==ERROR==";
  const std::size_t at = output.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = output.substr(at + marker.size());
  rest = rest.substr(0, rest.find('\n'));
  return std::string(trim(rest));
}

}  // namespace ksearch::bench
