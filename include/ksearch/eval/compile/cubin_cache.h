// ksearch/eval/compile/cubin_cache.h — compiled cubins kept on disk, keyed by a hash of everything that
// decides NVRTC's output, so a restarted worker or a resumed search does not compile the same
// source twice.
//
// An entry is one file, `<key>.entry`: a one-line JSON header (the key's inputs, the log, the
// kernels' resources, the original compile time, the cubin's size and hash) followed by the cubin's
// bytes. It is written with write_file_atomic, so a reader sees a whole entry or none; an entry
// that does not parse, does not match its request or whose cubin fails its hash is a miss and is
// removed. After each store the oldest entries (by mtime; a hit touches it) are deleted until the
// folder is under the size cap. The cache is an optimisation: any I/O failure logs one warning
// and turns it off for the rest of the process, and never fails a compile.
//
// Thread-safety: lookup and store may be called from several threads at once, and several
// processes may share a folder. Use one cubin_cache per folder per process (stores in one process
// are serialised by the object; write_file_atomic's temp file is named after the process only).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/compile_limits.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {

/// The cache folder named by the environment's values (null pointers for unset variables):
/// KSEARCH_CUBIN_CACHE if set and non-empty ("off", in any case, disables the cache), else
/// $XDG_CACHE_HOME/ksearch/cubin (an absolute XDG_CACHE_HOME only, as the XDG spec asks), else
/// $HOME/.cache/ksearch/cubin. Nothing when disabled or when no folder can be named.
[[nodiscard]] std::optional<std::filesystem::path> cubin_cache_dir(const char* ksearch_cubin_cache,
                                                                   const char* xdg_cache_home, const char* home);

class cubin_cache {
 public:
  static constexpr std::uintmax_t default_max_bytes = std::uintmax_t{512} << 20;

  /// A cache in `dir` (created at the first store) holding at most about `max_bytes` of entries.
  explicit cubin_cache(std::filesystem::path dir, std::uintmax_t max_bytes = default_max_bytes);
  cubin_cache(const cubin_cache&) = delete;
  cubin_cache& operator=(const cubin_cache&) = delete;

  /// The cache the process environment names (see cubin_cache_dir); null when it is disabled.
  [[nodiscard]] static std::unique_ptr<cubin_cache> from_environment(std::uintmax_t max_bytes = default_max_bytes);

  /// 16 hex digits over a format version, the loaded NVRTC version, the toolkit's include folders,
  /// the architecture, the file name, every extra option (in order) and the source.
  [[nodiscard]] static std::string key(const compile_request& request);

  /// The stored output for `request` with compile_ms = 0 and from_cache = true, or nothing.
  [[nodiscard]] std::optional<compile_output> lookup(const compile_request& request);

  /// Keeps `output` (a successful compile of `request`), then evicts the least recently used
  /// entries while the folder holds more than max_bytes(). The entry just written is kept even when
  /// it alone is larger than the cap.
  void store(const compile_request& request, const compile_output& output);

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::uintmax_t max_bytes() const { return max_bytes_; }
  /// Where `request`'s entry lives (it may not exist).
  [[nodiscard]] std::filesystem::path entry_path(const compile_request& request) const;
  /// False once an I/O failure has turned the cache off.
  [[nodiscard]] bool usable() const { return usable_.load(std::memory_order_relaxed); }

 private:
  void turn_off(const std::string& why);
  void evict_over_cap(const std::filesystem::path& keep);

  std::filesystem::path dir_;
  std::uintmax_t max_bytes_;
  std::atomic<bool> usable_{true};
  std::mutex store_mutex_;  // one store (write + eviction scan) at a time in this process
};

/// `request`'s output from `cache` (may be null: no cache), else compiled in a child process bounded
/// by `limits` (compile_with_limits) and, when it succeeds, stored. A failed compile is returned as
/// it failed and never stored.
[[nodiscard]] result<compile_output> compile_cached(const compile_request& request, cubin_cache* cache,
                                                    const compile_limits& limits = {});

}  // namespace ksearch::eval
