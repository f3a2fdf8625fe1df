#include "ksearch/eval/reference_oracle.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>

#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/common/posix.h"
#include "ksearch/eval/gpu/timing_clock.h"
#include "ksearch/eval/isolation/worker_process.h"
#include "ksearch/tasks/safetensors.h"

namespace ksearch::eval {

namespace fs = std::filesystem;

namespace {

const char* const install_fix = "install them for the python3 ksearch runs (pip install torch safetensors), or set "
                                "KSEARCH_PYTHON to an interpreter that has them";

error from_worker(const worker_error& e, const std::string& what) {
  error out = e.detail;
  if (e.kind != worker_failure::handler_error) {
    out.subject = "reference oracle (" + what + ")";
    out.problem = std::string(to_string(e.kind)) + ": " + e.detail.problem;
    if (!e.output_tail.empty()) out.problem += "\nits last output:\n" + e.output_tail;
  }
  return out;
}

// The status reply; fields the server could not fill are null.
oracle_environment environment_from(const json& status) {
  auto text = [&](const char* key) {
    const auto it = status.find(key);
    return it != status.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  oracle_environment env;
  const auto ready = status.find("ready");
  env.ready = ready != status.end() && ready->is_boolean() && ready->get<bool>();
  env.problem = text("problem");
  env.python_version = text("python");
  env.torch_version = text("torch");
  env.device = text("device");
  return env;
}

worker_options server_options(const oracle_options& options, std::vector<std::string> extra_args) {
  worker_options w;
  w.argv = {options.python, options.script.string()};
  for (std::string& a : extra_args) w.argv.push_back(std::move(a));
  w.channel = worker_channel::stdio;
  w.start_timeout = options.start_timeout;
  w.env = {{"PYTHONUNBUFFERED", "1"}};
  w.output_tail_bytes = 8192;  // a Python traceback
  return w;
}

result<void> write_tensors(const fs::path& file, const std::vector<const host_tensor*>& tensors) {
  std::vector<tasks::safetensors_entry> entries;
  for (const host_tensor* t : tensors) {
    auto type = tasks::safetensors_dtype_from_flashinfer(t->dtype, "input '" + t->name + "'");
    if (!type) return std::unexpected(type.error());
    entries.push_back({t->name, *type, t->shape, std::span<const std::byte>(t->bytes)});
  }
  auto bytes = tasks::serialize_safetensors(entries, {}, file.string());
  if (!bytes) return std::unexpected(bytes.error());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  out.close();
  if (!out) return fail(file.string(), "cannot write: " + errno_text(errno));
  return {};
}

// A scratch folder unique to this process and object.
result<fs::path> make_scratch() {
  static std::atomic<int> counter{0};
  std::error_code ec;
  const fs::path dir = fs::temp_directory_path(ec) /
                       ("ksearch-oracle-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  if (ec || !fs::create_directories(dir, ec) || ec) {
    return fail(dir.string(), "cannot create the oracle's scratch folder: " + ec.message(), "set TMPDIR to a writable folder");
  }
  return dir;
}

}  // namespace

struct reference_oracle::state {
  tasks::definition def;
  fs::path scratch;
  worker_process server;
  oracle_environment env;
  std::chrono::milliseconds call_timeout;
  std::map<std::string, fs::path> shared_files;  // key -> file written earlier
  std::uint64_t shared_written = 0;  // names each new shared file: a count of files kept would reuse a live name
  std::uint64_t calls = 0;

  ~state() {
    server.stop();
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
};

reference_oracle::reference_oracle(std::unique_ptr<state> s) : state_(std::move(s)) {}
reference_oracle::~reference_oracle() = default;

const oracle_environment& reference_oracle::environment() const { return state_->env; }
const std::string& reference_oracle::definition_name() const { return state_->def.name; }

result<std::unique_ptr<reference_oracle>> reference_oracle::start(const oracle_options& options,
                                                                  const tasks::definition& def) {
  if (def.reference.empty()) {
    return fail("definition " + def.name + ": reference", "is empty; the oracle runs the definition's Python reference",
                "give the definition a reference, or a native CUDA reference solution");
  }
  auto scratch = make_scratch();
  if (!scratch) return std::unexpected(scratch.error());
  const fs::path def_file = *scratch / "definition.json";
  {
    std::ofstream out(def_file);
    out << tasks::to_json(def).dump(2);
    if (!out) {
      std::error_code ec;
      fs::remove_all(*scratch, ec);
      return fail(def_file.string(), "cannot write the definition for the oracle");
    }
  }
  auto server = worker_process::start(server_options(
      options, {"--definition", def_file.string(), "--device", std::to_string(options.device_ordinal)}));
  if (!server) {
    std::error_code ec;
    fs::remove_all(*scratch, ec);
    error e = from_worker(server.error(), "start");
    e.fix = "check that '" + options.python + "' runs and " + options.script.string() + " exists";
    return std::unexpected(std::move(e));
  }
  auto owned = std::unique_ptr<state>(new state{def, *scratch, std::move(*server), {},
                                                 std::chrono::duration_cast<std::chrono::milliseconds>(options.call_timeout),
                                                 {}, 0});
  auto status = owned->server.call(json{{"type", "status"}}, std::chrono::seconds(60));
  if (!status) return std::unexpected(from_worker(status.error(), "status"));
  owned->env = environment_from(*status);
  if (!owned->env.ready) {
    return fail("reference oracle for " + def.name, owned->env.problem, install_fix);
  }
  return std::unique_ptr<reference_oracle>(new reference_oracle(std::move(owned)));
}

result<oracle_call_result> reference_oracle::run(const std::vector<host_tensor>& inputs,
                                                 const std::vector<shared_input>& shared, const json& scalars, bool time,
                                                 std::size_t exact_samples) {
  state& s = *state_;
  const std::uint64_t call = ++s.calls;
  json files = json::array();
  std::set<std::string> listed;  // shared files of this call; the others are deleted
  for (const shared_input& input : shared) {
    auto found = s.shared_files.find(input.key);
    if (found == s.shared_files.end()) {
      auto bytes = input.bytes();
      if (!bytes) return std::unexpected(bytes.error());
      const host_tensor tensor{input.name, input.dtype, input.shape, std::move(*bytes)};
      const fs::path file = s.scratch / ("shared-" + std::to_string(s.shared_written++) + ".safetensors");
      if (auto ok = write_tensors(file, {&tensor}); !ok) return std::unexpected(ok.error());
      found = s.shared_files.emplace(input.key, file).first;
    }
    files.push_back(found->second.string());
    listed.insert(input.key);
  }
  // Shared inputs of earlier workloads (another cache size) are not coming back: free the disk.
  for (auto it = s.shared_files.begin(); it != s.shared_files.end();) {
    if (listed.contains(it->first)) {
      ++it;
      continue;
    }
    std::error_code ec;
    fs::remove(it->second, ec);
    it = s.shared_files.erase(it);
  }
  std::vector<const host_tensor*> own;
  for (const host_tensor& t : inputs) own.push_back(&t);
  const fs::path input_file = s.scratch / "inputs.safetensors";
  const fs::path output_file = s.scratch / "outputs.safetensors";
  if (auto ok = write_tensors(input_file, own); !ok) return std::unexpected(ok.error());
  files.push_back(input_file.string());
  std::error_code ec;
  fs::remove(output_file, ec);

  json request{{"type", "run"}, {"inputs", files}, {"scalars", scalars}, {"outputs", output_file.string()},
               {"time", time}, {"call", call}};
  if (time && exact_samples > 0) request["samples"] = exact_samples;
  auto reply = s.server.call(request, s.call_timeout);
  if (!reply) return std::unexpected(from_worker(reply.error(), "run"));

  auto opened = tasks::safetensors_file::open(output_file);
  if (!opened) return std::unexpected(opened.error());
  oracle_call_result out;
  for (const tasks::tensor_spec& spec : s.def.outputs) {
    auto tensor = opened->tensor(spec.name);
    if (!tensor) return std::unexpected(tensor.error());
    const tasks::safetensors_tensor& t = tensor->get();
    auto wanted = tasks::safetensors_dtype_from_flashinfer(spec.dtype, "output '" + spec.name + "'");
    if (!wanted) return std::unexpected(wanted.error());
    if (t.dtype != *wanted) {
      return fail("reference oracle output '" + spec.name + "'", "came back as " +
                  std::string(tasks::safetensors_code(t.dtype)) + ", the definition says " + spec.dtype);
    }
    std::vector<std::byte> bytes(t.bytes.size());
    if (!bytes.empty()) std::memcpy(bytes.data(), t.bytes.data(), bytes.size());
    out.outputs.push_back(std::move(bytes));
  }
  if (time) {
    std::vector<double> samples = reply->value("samples_ms", std::vector<double>{});
    if (samples.empty()) return fail("reference oracle (run)", "was asked to time the reference and sent no samples_ms");
    out.timing = summarize(samples);
    out.timing->stop_reason = reply->value("stop_reason", std::string("oracle"));
    // The oracle times PyTorch with torch.cuda.Event pairs (oracle_server.py), whatever the candidate's clock.
    out.timing->clock = std::string(to_string(timing_clock::cuda_events));
    out.timing->event_median_ms = out.timing->median_ms;
  }
  return out;
}

oracle_environment probe_oracle(const oracle_options& options) {
  auto server = worker_process::start(server_options(options, {}));
  if (!server) {
    oracle_environment env;
    env.problem = from_worker(server.error(), "start").to_string();
    return env;
  }
  auto status = server->call(json{{"type", "status"}}, std::chrono::seconds(60));
  if (!status) {
    oracle_environment env;
    env.problem = from_worker(status.error(), "status").to_string();
    return env;
  }
  return environment_from(*status);
}

std::string oracle_python() {
  const char* python = std::getenv("KSEARCH_PYTHON");
  return python != nullptr && *python != '\0' ? python : "python3";
}

std::optional<fs::path> bundled_oracle_script() {
  auto tasks_dir = find_data_dir("tasks");
  if (!tasks_dir) return std::nullopt;
  fs::path script = *tasks_dir / "oracle" / "oracle_server.py";
  std::error_code ec;
  if (!fs::is_regular_file(script, ec)) return std::nullopt;
  return script;
}

}  // namespace ksearch::eval
