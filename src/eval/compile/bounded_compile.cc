#include "ksearch/eval/compile/bounded_compile.h"

#include <sys/resource.h>

#include <new>
#include <string>

#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/common/scratch_dir.h"
#include "ksearch/common/subprocess.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::eval {

namespace fs = std::filesystem;

namespace {

// What the child left in `dir` after exiting normally.
result<compile_output> read_outcome(const fs::path& dir, const std::string& file_name) {
  if (auto failed = store::read_file(dir / "error.json"); failed) {
    const json e = json::parse(*failed, nullptr, /*allow_exceptions=*/false);
    if (e.is_object()) return fail(e.value("subject", file_name), e.value("problem", ""), e.value("fix", ""));
  }
  auto summary = store::read_file(dir / "result.json");
  auto cubin = store::read_file(dir / "kernel.cubin");
  if (!summary || !cubin) return fail(file_name, "the compiling process exited without leaving its result");
  const json r = json::parse(*summary, nullptr, /*allow_exceptions=*/false);
  if (!r.is_object()) return fail(file_name, "the compiling process left an unreadable result");
  compile_output out;
  out.cubin = std::move(*cubin);
  out.log = r.value("log", "");
  out.kernels = kernel_resources_from_json(r.value("kernels", json::array()));
  out.compile_ms = r.value("compile_ms", 0.0);
  return out;
}

}  // namespace

result<compile_output> compile_with_limits(const compile_request& request, const compile_limits& limits) {
  const fs::path exe = executable_path();
  if (exe.empty()) return fail("/proc/self/exe", "cannot find this executable to start the bounded compiler");
  auto scratch = scratch_dir::create("ksearch-compile-");
  if (!scratch) return std::unexpected(scratch.error());
  const json doc = {{"source", request.source},
                    {"file_name", request.file_name},
                    {"arch", request.arch},
                    {"extra_options", request.extra_options}};
  const fs::path request_file = scratch->path() / "request.json";
  if (auto written = store::write_file_atomic(request_file, doc.dump()); !written) {
    return std::unexpected(written.error());
  }

  auto ran = run_command({exe.string(), compile_helper_command, request_file.string(), scratch->path().string(),
                          std::to_string(limits.memory_mb)},
                         {.timeout = limits.time, .max_output_bytes = 64 << 10});
  if (!ran) return std::unexpected(ran.error());
  if (ran->timed_out) {
    return fail(request.file_name,
                "NVRTC did not finish within " + std::to_string(limits.time.count()) + " s; the compile was stopped",
                "make the code smaller (deep macro or template expansion, huge unrolled loops), or raise "
                "--compile-timeout-s");
  }
  if (ran->exit_code == 0 || ran->exit_code == 1) return read_outcome(scratch->path(), request.file_name);
  std::string tail = ran->err.size() > 400 ? ran->err.substr(ran->err.size() - 400) : ran->err;
  return fail(request.file_name,
              "the compiling process ended (" + ran->describe_end() + ") before finishing; its memory limit is " +
                  std::to_string(limits.memory_mb) + " MiB" + (tail.empty() ? std::string() : ": " + tail),
              "make the code smaller, or raise --compile-memory-mb");
}

int run_compile_helper(const fs::path& request_file, const fs::path& output_dir, std::size_t memory_mb) {
  const auto write_error = [&](const error& e) {
    const json doc = {{"subject", e.subject}, {"problem", e.problem}, {"fix", e.fix}};
    return store::write_file_atomic(output_dir / "error.json", doc.dump()) ? 1 : 2;
  };
  // Lowered before anything big is allocated: past it, allocations fail instead of the machine swapping.
  const rlim_t bytes = static_cast<rlim_t>(memory_mb) << 20;
  const rlimit limit{bytes, bytes};
  if (memory_mb > 0 && setrlimit(RLIMIT_AS, &limit) != 0) {
    return write_error(
        {"--compile-memory-mb", "cannot set the address-space limit to " + std::to_string(memory_mb) + " MiB"});
  }
  auto text = store::read_file(request_file);
  if (!text) return write_error(text.error());
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return write_error({request_file.string(), "not a compile request"});
  const compile_request request{.source = doc.value("source", ""),
                                .file_name = doc.value("file_name", "kernel.cu"),
                                .arch = doc.value("arch", "sm_90a"),
                                .extra_options = doc.value("extra_options", std::vector<std::string>{})};
  const std::string memory_fix = "make the code smaller, or raise --compile-memory-mb (this compile may use " +
                                 std::to_string(memory_mb) + " MiB)";
  try {
    auto compiled = compile_cuda(request);
    if (!compiled) {
      // NVRTC reports an allocation that failed at the limit as its own "out of memory" error.
      error e = compiled.error();
      if (e.problem.find("out of memory") != std::string::npos) e.fix = memory_fix;
      return write_error(e);
    }
    const json summary = {{"log", compiled->log}, {"kernels", to_json(compiled->kernels)},
                          {"compile_ms", compiled->compile_ms}};
    const bool written = store::write_file_atomic(output_dir / "kernel.cubin", compiled->cubin) &&
                         store::write_file_atomic(output_dir / "result.json", summary.dump());
    if (!written) return 2;
    return 0;
  } catch (const std::bad_alloc&) {
    return write_error({request.file_name, "NVRTC ran out of memory", memory_fix});
  }
}

}  // namespace ksearch::eval
