#include "ksearch/bench/compile_timing.h"

#include "ksearch/bench/bench_stats.h"
#include "ksearch/common/elapsed.h"
#include "ksearch/common/subprocess.h"
#include "ksearch/eval/compile/bounded_compile.h"

namespace ksearch::bench {

namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

// The last `max_chars` of `text`, for an error message.
std::string tail_of(const std::string& text, std::size_t max_chars = 2000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace

result<compile_timing> time_nvrtc(const std::string& source, const std::string& arch, int runs,
                                  const eval::compile_limits& limits) {
  compile_timing timing;
  for (int run = 0; run < runs; ++run) {
    const auto start = clock_type::now();
    auto compiled = eval::compile_with_limits(
        {.source = source, .file_name = "kernel.cu", .arch = arch, .extra_options = {}}, limits);
    const double ms = ms_since(start);
    if (!compiled) return std::unexpected(compiled.error());
    timing.runs_ms.push_back(ms);
  }
  timing.median_ms = median_of(timing.runs_ms);
  return timing;
}

std::vector<std::string> nvcc_argv(const fs::path& nvcc, const std::string& arch, const fs::path& source,
                                   const fs::path& cubin) {
  return {nvcc.string(), "-cubin", "-arch=" + arch, "-std=c++17", "-lineinfo", "-o", cubin.string(), source.string()};
}

result<compile_timing> time_nvcc(const fs::path& nvcc, const std::string& source, const std::string& arch, int runs,
                                 const scratch_dir& scratch, std::chrono::milliseconds timeout) {
  auto file = scratch.write("kernel.cu", source);
  if (!file) return std::unexpected(file.error());
  const fs::path cubin = scratch.path() / "kernel.cubin";
  const std::vector<std::string> argv = nvcc_argv(nvcc, arch, *file, cubin);
  compile_timing timing;
  for (int run = 0; run < runs; ++run) {
    auto ran = run_command(argv, {.timeout = timeout});
    if (!ran) return std::unexpected(ran.error());
    if (!ran->succeeded()) {
      return fail(nvcc.string(),
                  ran->describe_end() + " compiling " + file->string() + ":\n" + tail_of(ran->err + ran->out));
    }
    timing.runs_ms.push_back(ran->wall_ms);
  }
  timing.median_ms = median_of(timing.runs_ms);
  return timing;
}

}  // namespace ksearch::bench
