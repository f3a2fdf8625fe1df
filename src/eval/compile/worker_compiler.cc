#include "ksearch/eval/compile/worker_compiler.h"

#include <future>
#include <system_error>
#include <utility>

namespace ksearch::eval {

namespace {

std::string key_of(const std::string& source, const std::string& arch) { return arch + "\n" + source; }

result<compile_output> compile_uncached(const std::string& source, const std::string& arch, cubin_cache* disk,
                                        const compile_limits& limits) {
  return compile_cached({.source = source, .file_name = "kernel.cu", .arch = arch, .extra_options = {}}, disk, limits);
}

}  // namespace

result<compile_output> worker_compiler::compile(const std::string& source, const std::string& arch,
                                                const compile_limits& limits) {
  if (auto hit = compiled_.find(key_of(source, arch)); hit != compiled_.end()) {
    compile_output cached = hit->second;
    cached.compile_ms = 0;  // nothing was compiled this time
    cached.from_cache = true;
    return cached;
  }
  auto compiled = compile_uncached(source, arch, disk_.get(), limits);
  remember(source, arch, compiled);
  return compiled;
}

// Failures are not kept: they are cheap to repeat and rare to repeat.
void worker_compiler::remember(const std::string& source, const std::string& arch,
                               const result<compile_output>& compiled) {
  constexpr std::size_t max_entries = 256;  // a long search: drop everything rather than grow without end
  if (!compiled) return;
  if (compiled_.size() >= max_entries) compiled_.clear();
  compiled_.insert_or_assign(key_of(source, arch), *compiled);
}

// NVRTC programs are independent, so the two compiles may overlap; only this thread touches the map.
std::array<result<compile_output>, 2> worker_compiler::compile_pair(const std::string& reference,
                                                                    const std::string& candidate,
                                                                    const std::string& arch,
                                                                    const compile_limits& limits) {
  const bool both_miss = reference != candidate && !compiled_.contains(key_of(reference, arch)) &&
                         !compiled_.contains(key_of(candidate, arch));
  std::future<result<compile_output>> reference_job;
  if (both_miss) {
    try {
      reference_job = std::async(std::launch::async, [disk = disk_.get(), &reference, &arch, &limits] {
        return compile_uncached(reference, arch, disk, limits);
      });
    } catch (const std::system_error&) {
      // No thread to be had: compile one after the other below.
    }
  }
  if (!reference_job.valid()) {
    auto first = compile(reference, arch, limits);
    return {std::move(first), compile(candidate, arch, limits)};
  }
  auto second = compile(candidate, arch, limits);
  auto first = reference_job.get();
  remember(reference, arch, first);
  return {std::move(first), std::move(second)};
}

}  // namespace ksearch::eval
