// Implementation details
//
// Entry file `<key>.entry`, all in one file so that write_file_atomic's rename publishes it whole:
//   line 1   the header, one line of JSON: {"key": {format, nvrtc, include_dirs, arch, file_name,
//            options}, "log", "kernels", "compile_ms", "source_bytes", "cubin_bytes", "cubin_hash"}
//   then     the source's bytes (source_bytes of them), then the cubin's (cubin_bytes).
// The source is kept verbatim so a hit is checked against the request byte for byte: a 64-bit
// hash collision gives a miss, never someone else's cubin. The header is dumped with invalid UTF-8
// replaced (a log may hold any bytes and nlohmann would throw), so its key part is compared as
// dumped text, the same way on both sides.
//
// Eviction scans the folder after each store: a few thousand stats at most under the default cap,
// against a compile that takes hundreds of milliseconds. Temp files left by a writer that died are
// removed by the same scan once they are an hour old.

#include "ksearch/eval/compile/cubin_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <expected>
#include <system_error>
#include <utility>
#include <vector>

#include "ksearch/common/content_hash.h"
#include "ksearch/common/json.h"
#include "ksearch/common/text.h"
#include "ksearch/eval/compile/bounded_compile.h"
#include "ksearch/eval/compile/source_policy.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::eval {

namespace fs = std::filesystem;

namespace {

// Bump when compile_cuda's fixed options or log processing, or this entry format, change: old
// entries then stop matching and age out of the cache.
constexpr int format_version = 1;
constexpr const char* entry_extension = ".entry";
constexpr auto stale_temp_age = std::chrono::hours(1);

std::string nvrtc_version_text() {
  const nvrtc_version version = loaded_nvrtc_version();
  return std::to_string(version.major) + "." + std::to_string(version.minor);
}

std::string dump_lenient(const ordered_json& value) {
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ordered_json key_inputs(const compile_request& request) {
  ordered_json include_dirs = ordered_json::array();
  for (const fs::path& dir : toolkit_include_dirs()) include_dirs.push_back(dir.string());
  return {{"format", format_version},         {"nvrtc", nvrtc_version_text()},    {"include_dirs", include_dirs},
          {"arch", request.arch},             {"file_name", request.file_name}, {"options", request.extra_options}};
}

std::string serialize_entry(const compile_request& request, const compile_output& output) {
  ordered_json kernels = ordered_json::array();
  for (const kernel_resources& k : output.kernels) {
    kernels.push_back({{"name", k.name},
                       {"registers", k.registers},
                       {"barriers", k.barriers},
                       {"static_smem_bytes", k.static_smem_bytes},
                       {"stack_frame_bytes", k.stack_frame_bytes},
                       {"spill_store_bytes", k.spill_store_bytes},
                       {"spill_load_bytes", k.spill_load_bytes}});
  }
  const ordered_json header = {{"key", key_inputs(request)},
                               {"log", output.log},
                               {"kernels", kernels},
                               {"compile_ms", output.compile_ms},
                               {"source_bytes", request.source.size()},
                               {"cubin_bytes", output.cubin.size()},
                               {"cubin_hash", content_hash().add(output.cubin).hex()}};
  std::string text = dump_lenient(header);
  text += '\n';
  text += request.source;
  text += output.cubin;
  return text;
}

// Strict field readers: an entry is data from disk, so a missing field or a wrong type is
// corruption (a miss), never an exception.
std::optional<std::uint64_t> unsigned_field(const ordered_json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

template <class Int>
bool read_int(const ordered_json& object, const char* name, Int& out) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return false;
  out = it->get<Int>();
  return true;
}

std::optional<kernel_resources> kernel_from(const ordered_json& k) {
  if (!k.is_object()) return std::nullopt;
  const auto name = k.find("name");
  if (name == k.end() || !name->is_string()) return std::nullopt;
  kernel_resources out;
  out.name = name->get<std::string>();
  if (!read_int(k, "registers", out.registers) || !read_int(k, "barriers", out.barriers) ||
      !read_int(k, "static_smem_bytes", out.static_smem_bytes) ||
      !read_int(k, "stack_frame_bytes", out.stack_frame_bytes) ||
      !read_int(k, "spill_store_bytes", out.spill_store_bytes) ||
      !read_int(k, "spill_load_bytes", out.spill_load_bytes)) {
    return std::nullopt;
  }
  return out;
}

/// Why an entry is unusable, for the debug log.
std::unexpected<std::string> corrupt(std::string why) { return std::unexpected(std::move(why)); }

/// The output stored in `text` if it is a whole, uncorrupted entry for `request`; otherwise why not.
std::expected<compile_output, std::string> parse_entry(const std::string& text, const compile_request& request) {
  const std::size_t header_end = text.find('\n');
  if (header_end == std::string::npos) return corrupt("no header line");
  const ordered_json header = ordered_json::parse(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(header_end),
                                                  nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return corrupt("header is not a JSON object");

  const auto key = header.find("key");
  if (key == header.end() || dump_lenient(*key) != dump_lenient(key_inputs(request))) {
    return corrupt("written for another request (a key collision)");
  }
  const auto source_bytes = unsigned_field(header, "source_bytes");
  const auto cubin_bytes = unsigned_field(header, "cubin_bytes");
  if (!source_bytes || !cubin_bytes) return corrupt("header lacks the sizes");
  const std::size_t body = header_end + 1;
  const std::size_t rest = text.size() - body;
  if (*source_bytes > rest || *cubin_bytes != rest - *source_bytes) {
    return corrupt("size " + std::to_string(text.size()) + " does not match the header (truncated?)");
  }
  if (text.compare(body, *source_bytes, request.source) != 0) return corrupt("written for another source");

  compile_output output;
  output.cubin = text.substr(body + *source_bytes);
  const auto cubin_hash = header.find("cubin_hash");
  if (cubin_hash == header.end() || !cubin_hash->is_string() ||
      cubin_hash->get<std::string>() != content_hash().add(output.cubin).hex()) {
    return corrupt("cubin does not match its hash");
  }
  const auto log = header.find("log");
  const auto kernels = header.find("kernels");
  if (log == header.end() || !log->is_string() || kernels == header.end() || !kernels->is_array()) {
    return corrupt("header lacks the log or the kernels");
  }
  output.log = log->get<std::string>();
  for (const ordered_json& k : *kernels) {
    auto kernel = kernel_from(k);
    if (!kernel) return corrupt("a kernel's resources do not parse");
    output.kernels.push_back(std::move(*kernel));
  }
  output.compile_ms = 0;
  output.from_cache = true;
  return output;
}

bool is_stale_temp(const fs::directory_entry& entry) {
  if (entry.path().filename().string().find(std::string(entry_extension) + ".tmp-") == std::string::npos) return false;
  std::error_code ec;
  const fs::file_time_type written = entry.last_write_time(ec);
  return !ec && fs::file_time_type::clock::now() - written > stale_temp_age;
}

}  // namespace

std::optional<fs::path> cubin_cache_dir(const char* ksearch_cubin_cache, const char* xdg_cache_home,
                                        const char* home) {
  const auto set = [](const char* value) { return value != nullptr && *value != '\0'; };
  if (set(ksearch_cubin_cache)) {
    std::string value = ksearch_cubin_cache;
    if (equals_ignoring_case(value, "off")) return std::nullopt;
    return fs::path(std::move(value));
  }
  if (set(xdg_cache_home) && fs::path(xdg_cache_home).is_absolute()) {
    return fs::path(xdg_cache_home) / "ksearch" / "cubin";
  }
  if (set(home)) return fs::path(home) / ".cache" / "ksearch" / "cubin";
  return std::nullopt;
}

cubin_cache::cubin_cache(fs::path dir, std::uintmax_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}

std::unique_ptr<cubin_cache> cubin_cache::from_environment(std::uintmax_t max_bytes) {
  auto dir = cubin_cache_dir(std::getenv("KSEARCH_CUBIN_CACHE"), std::getenv("XDG_CACHE_HOME"), std::getenv("HOME"));
  if (!dir) return nullptr;
  // Absolute now, so that a later change of the working folder does not move the cache.
  std::error_code ec;
  if (fs::path absolute = fs::absolute(*dir, ec); !ec) dir = std::move(absolute);
  return std::make_unique<cubin_cache>(std::move(*dir), max_bytes);
}

std::string cubin_cache::key(const compile_request& request) {
  content_hash hash;
  hash.add(std::to_string(format_version)).add(nvrtc_version_text());
  // Counts before lists, so that a folder cannot pass for an option or the other way round.
  const std::vector<fs::path>& include_dirs = toolkit_include_dirs();
  hash.add(std::to_string(include_dirs.size()));
  for (const fs::path& dir : include_dirs) hash.add(dir.string());
  hash.add(request.arch).add(request.file_name);
  hash.add(std::to_string(request.extra_options.size()));
  for (const std::string& option : request.extra_options) hash.add(option);
  hash.add(request.source);
  return hash.hex();
}

fs::path cubin_cache::entry_path(const compile_request& request) const {
  return dir_ / (key(request) + entry_extension);
}

std::optional<compile_output> cubin_cache::lookup(const compile_request& request) {
  if (!usable()) return std::nullopt;
  const fs::path path = entry_path(request);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) turn_off(path.string() + ": " + ec.message());
    return std::nullopt;
  }
  auto text = store::read_file(path);
  if (!text) {
    // Gone since the check: another process evicted it. Still there: it cannot be read.
    if (fs::exists(path, ec)) turn_off(text.error().to_string());
    return std::nullopt;
  }
  auto entry = parse_entry(*text, request);
  if (!entry) {
    spdlog::debug("cubin cache: {}: {}; removed", path.string(), entry.error());
    fs::remove(path, ec);
    return std::nullopt;
  }
  // Recently used for eviction. A read-only cache still serves hits, so a failure is ignored.
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
  return std::move(*entry);
}

void cubin_cache::store(const compile_request& request, const compile_output& output) {
  if (!usable()) return;
  const std::string content = serialize_entry(request, output);
  const fs::path path = entry_path(request);
  const std::scoped_lock lock(store_mutex_);
  if (auto written = store::write_file_atomic(path, content); !written) {
    turn_off(written.error().to_string());
    return;
  }
  evict_over_cap(path);
}

void cubin_cache::evict_over_cap(const fs::path& keep) {
  struct entry_file {
    fs::path path;
    fs::file_time_type used;
    std::uintmax_t bytes = 0;
  };
  std::vector<entry_file> entries;
  std::uintmax_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code time_ec;  // an entry removed by another process meanwhile is skipped
    std::error_code size_ec;
    if (it->path().extension() == entry_extension) {
      entry_file file{.path = it->path(), .used = it->last_write_time(time_ec), .bytes = it->file_size(size_ec)};
      if (time_ec || size_ec) continue;
      total += file.bytes;
      entries.push_back(std::move(file));
    } else if (is_stale_temp(*it)) {
      fs::remove(it->path(), time_ec);
    }
  }
  if (ec) {
    turn_off(dir_.string() + ": listing the folder failed: " + ec.message());
    return;
  }
  if (total <= max_bytes_) return;

  std::ranges::sort(entries, {}, &entry_file::used);
  for (const entry_file& file : entries) {
    if (total <= max_bytes_) break;
    if (file.path == keep) continue;
    // A file another process removed first is not an error: remove() then returns false.
    fs::remove(file.path, ec);
    if (ec) {
      turn_off(file.path.string() + ": cannot remove: " + ec.message());
      return;
    }
    total -= file.bytes;
  }
}

void cubin_cache::turn_off(const std::string& why) {
  if (usable_.exchange(false)) {
    spdlog::warn("cubin cache {} is off for the rest of this run: {} (compiles go on without it)", dir_.string(),
                 why);
  }
}

result<compile_output> compile_cached(const compile_request& request, cubin_cache* cache,
                                      const compile_limits& limits) {
  if (cache != nullptr) {
    if (auto hit = cache->lookup(request)) return std::move(*hit);
  }
  auto compiled = compile_with_limits(request, limits);
  if (compiled && cache != nullptr) cache->store(request, *compiled);
  return compiled;
}

}  // namespace ksearch::eval
