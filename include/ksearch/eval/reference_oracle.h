// ksearch/eval/reference_oracle.h — a definition's own Python reference, run with PyTorch, as the
// reference of an evaluation.
//
// For a definition without a native CUDA reference, the evaluator asks the oracle: a long-lived
// child process (tasks/oracle/oracle_server.py) that executes the definition's `reference` code
// with PyTorch on the same GPU. It speaks the worker protocol (eval/isolation/worker_protocol.h) over its
// stdin/stdout, so it gets the same watchdog: a reference that hangs past the call timeout is
// killed, one that crashes is restarted on the next call. Tensors travel as safetensors files in
// a scratch folder of this object (removed with it):
//   - inputs the caller marks shared (the 1 GB paged KV cache, identical in every trial) are
//     written once per key and listed again in every request; the server keeps them on the GPU;
//   - the other inputs go into one file per call; the outputs come back in one file, checked
//     here against the definition's output names, dtypes and element counts.
// Asked to, the oracle also times the reference (cold L2, CUDA events around each call) and
// returns the samples, summarised here as the native reference's timing is.
//
// Errors say what to install when python3, PyTorch, safetensors or a CUDA-capable torch is
// missing, and carry the reference's own exception text when it fails.
//
// Thread-safety: one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/gpu/timing_stats.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::eval {

struct oracle_options {
  std::string python = "python3";   // a path, or a name looked up in PATH
  std::filesystem::path script;     // tasks/oracle/oracle_server.py
  int device_ordinal = 0;           // CUDA ordinal as torch sees it (same visible devices as ours)
  std::chrono::seconds start_timeout{180};  // importing torch and CUDA init can take a while
  std::chrono::seconds call_timeout{600};   // one reference call (with timing) on one workload
};

/// A tensor as the oracle's files carry it.
struct host_tensor {
  std::string name;
  std::string dtype;               // FlashInfer dtype name
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;
};

/// A large input identical across calls: written to disk only the first time `key` is seen.
struct shared_input {
  std::string key;                                     // same key, same bytes
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::function<result<std::vector<std::byte>>()> bytes;  // called only when the file is missing
};

struct oracle_call_result {
  std::vector<std::vector<std::byte>> outputs;  // in the definition's output order
  std::optional<timing_summary> timing;         // when timing was asked for
};

/// What the oracle found on this machine (`ksearch doctor`, and the first line of a failure).
struct oracle_environment {
  bool ready = false;
  std::string problem;  // why not ready, with what to install
  std::string python_version, torch_version, device;
};

class reference_oracle {
 public:
  /// Writes the definition to a scratch folder, starts the server and checks it is ready.
  [[nodiscard]] static result<std::unique_ptr<reference_oracle>> start(const oracle_options& options,
                                                                      const tasks::definition& def);
  ~reference_oracle();
  reference_oracle(const reference_oracle&) = delete;
  reference_oracle& operator=(const reference_oracle&) = delete;

  /// Runs the reference once on `inputs` + `shared` (every tensor input of the definition between
  /// them) and `scalars` (name -> value); times it too when `time` is set: `exact_samples` calls
  /// when > 0 (KernelBench's perf trials), else the server's adaptive rule.
  [[nodiscard]] result<oracle_call_result> run(const std::vector<host_tensor>& inputs,
                                               const std::vector<shared_input>& shared, const json& scalars,
                                               bool time, std::size_t exact_samples = 0);

  [[nodiscard]] const oracle_environment& environment() const;
  [[nodiscard]] const std::string& definition_name() const;

 private:
  struct state;
  explicit reference_oracle(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

/// Runs the server's self test (imports, CUDA) without a definition; never fails, it reports.
[[nodiscard]] oracle_environment probe_oracle(const oracle_options& options);

/// The interpreter the oracle runs on: $KSEARCH_PYTHON, else "python3".
[[nodiscard]] std::string oracle_python();

/// The bundled oracle_server.py (find_data_dir("tasks")), if there is one.
[[nodiscard]] std::optional<std::filesystem::path> bundled_oracle_script();

}  // namespace ksearch::eval
