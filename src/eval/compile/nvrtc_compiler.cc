#include "ksearch/eval/compile/nvrtc_compiler.h"

#include <nvrtc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "ksearch/eval/compile/source_policy.h"

namespace ksearch::eval {
namespace {

/// Owns one nvrtcProgram; destroyed exactly once, in a noexcept destructor.
class nvrtc_program {
 public:
  [[nodiscard]] static result<nvrtc_program> create(const std::string& source, const std::string& name) {
    nvrtcProgram program = nullptr;
    const nvrtcResult status =
        nvrtcCreateProgram(&program, source.c_str(), name.c_str(), 0, nullptr, nullptr);
    if (status != NVRTC_SUCCESS) {
      return fail(name, std::string("nvrtcCreateProgram: ") + nvrtcGetErrorString(status));
    }
    return nvrtc_program(program);
  }

  nvrtc_program(nvrtc_program&& other) noexcept : program_(std::exchange(other.program_, nullptr)) {}
  nvrtc_program& operator=(nvrtc_program&& other) noexcept {
    if (this != &other) {
      reset();
      program_ = std::exchange(other.program_, nullptr);
    }
    return *this;
  }
  nvrtc_program(const nvrtc_program&) = delete;
  nvrtc_program& operator=(const nvrtc_program&) = delete;
  // nvrtcDestroyProgram can only fail on an invalid handle, which this owner never holds.
  ~nvrtc_program() { reset(); }

  [[nodiscard]] nvrtcProgram get() const { return program_; }

 private:
  explicit nvrtc_program(nvrtcProgram program) : program_(program) {}
  void reset() noexcept {
    if (program_ != nullptr) nvrtcDestroyProgram(&program_);
    program_ = nullptr;
  }

  nvrtcProgram program_ = nullptr;
};

/// The program's compile log without the terminating NUL and trailing blank lines; empty if NVRTC
/// cannot produce it.
std::string program_log(nvrtcProgram program) {
  std::size_t size = 0;
  if (nvrtcGetProgramLogSize(program, &size) != NVRTC_SUCCESS || size <= 1) return {};
  std::string log(size, '\0');
  if (nvrtcGetProgramLog(program, log.data()) != NVRTC_SUCCESS) return {};
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n' || log.back() == ' ')) log.pop_back();
  return log;
}

}  // namespace

nvrtc_version loaded_nvrtc_version() {
  nvrtc_version version;
  if (nvrtcVersion(&version.major, &version.minor) != NVRTC_SUCCESS) return {};
  return version;
}

std::string trim_compile_log(std::string_view log, std::size_t max_chars) {
  if (log.size() <= max_chars) return std::string(log);

  // Cut at line breaks unless that would throw away more than half of a part's budget. Each part
  // keeps at least one character, so a tiny max_chars still shows where the log starts and ends.
  max_chars = std::max<std::size_t>(max_chars, 2);
  const std::size_t head_budget = max_chars / 2;
  const std::size_t tail_budget = max_chars - head_budget;
  std::size_t head_end = head_budget;
  if (const std::size_t newline = log.rfind('\n', head_budget - 1);
      newline != std::string_view::npos && newline >= head_budget / 2) {
    head_end = newline + 1;
  }
  std::size_t tail_begin = log.size() - tail_budget;
  if (const std::size_t newline = log.find('\n', tail_begin);
      newline != std::string_view::npos && newline + 1 - tail_begin <= tail_budget / 2) {
    tail_begin = newline + 1;
  }

  std::string trimmed(log.substr(0, head_end));
  if (trimmed.back() != '\n') trimmed += '\n';
  trimmed += "[... " + std::to_string(tail_begin - head_end) + " characters of the log left out ...]\n";
  trimmed += log.substr(tail_begin);
  return trimmed;
}

result<compile_output> compile_cuda(const compile_request& request) {
  // 0. Only toolkit headers may be reached: check the source's includes, and refuse options that
  //    would add include paths or files.
  for (const std::string& option : request.extra_options) {
    for (const char* banned : {"-I", "--include-path", "--pre-include", "-include", "--dopt"}) {
      if (option.starts_with(banned)) {
        return fail(request.file_name, "compile option '" + option + "' refused",
                    "include paths are the CUDA Toolkit's only; pass macros with -D");
      }
    }
  }
  if (auto includes = check_source_includes(request.source, request.file_name, toolkit_include_dirs()); !includes) {
    return std::unexpected(std::move(includes.error()));
  }

  // 1. Options.
  // -lineinfo lets compute-sanitizer and fault messages point at source lines; ptxas -v feeds
  // parse_ptxas_report.
  std::vector<std::string> options = {"--gpu-architecture=" + request.arch, "-std=c++17", "-lineinfo",
                                      "--ptxas-options=-v"};
  for (const auto& dir : toolkit_include_dirs()) options.push_back("--include-path=" + dir.string());
  options.insert(options.end(), request.extra_options.begin(), request.extra_options.end());
  std::vector<const char*> option_pointers;
  option_pointers.reserve(options.size());
  for (const std::string& option : options) option_pointers.push_back(option.c_str());

  // 2. Compile, timed. The source is copied into the program, so `request` may change after.
  auto program = nvrtc_program::create(request.source, request.file_name);
  if (!program) return std::unexpected(std::move(program.error()));
  compile_output output;
  const auto start = std::chrono::steady_clock::now();
  const nvrtcResult status =
      nvrtcCompileProgram(program->get(), static_cast<int>(option_pointers.size()), option_pointers.data());
  output.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const std::string full_log = program_log(program->get());
  output.kernels = parse_ptxas_report(full_log);
  output.log = strip_ptxas_info(full_log);
  if (status != NVRTC_SUCCESS) {
    std::string problem = nvrtcGetErrorString(status);
    if (!output.log.empty()) problem += "\n" + trim_compile_log(output.log);
    return fail(request.file_name, std::move(problem));
  }

  // 3. Take the cubin. A virtual architecture (compute_XX) compiles fine but yields PTX only.
  std::size_t cubin_size = 0;
  if (const nvrtcResult got = nvrtcGetCUBINSize(program->get(), &cubin_size); got != NVRTC_SUCCESS) {
    return fail(request.file_name, std::string("nvrtcGetCUBINSize: ") + nvrtcGetErrorString(got));
  }
  if (cubin_size == 0) {
    return fail(request.file_name,
                "NVRTC produced no cubin for --gpu-architecture=" + request.arch,
                "use a real architecture such as sm_90a; compute_XX targets give PTX only");
  }
  output.cubin.resize(cubin_size);
  if (const nvrtcResult got = nvrtcGetCUBIN(program->get(), output.cubin.data()); got != NVRTC_SUCCESS) {
    return fail(request.file_name, std::string("nvrtcGetCUBIN: ") + nvrtcGetErrorString(got));
  }
  return output;
}

void disable_cuda_compute_cache() {
  // Overwrites any value: with the cache on, the resource report is silently missing.
  ::setenv("CUDA_CACHE_DISABLE", "1", 1);
}

}  // namespace ksearch::eval
