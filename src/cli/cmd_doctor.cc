// `ksearch doctor`: checks everything a search needs, each check saying OK / FAIL / SKIP and, when
// it fails, the fix. Loads nothing but what it checks: the CUDA driver, NVRTC, the LLM endpoint
// and the artifacts folder. Exit code 1 when any check fails.
//
// Outline: driver -> devices -> NVRTC compile -> GPU launch -> endpoint -> model -> completion ->
// artifacts folder -> bundled data -> PyTorch oracle (a SKIP, never a FAIL, when it cannot run:
// only definitions without a native reference need it). A failed step turns the steps that depend on it into SKIPs
// that name the cause, so the first FAIL is the one to fix.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/run_options.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/compile/target_arch.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/self_test.h"
#include "ksearch/eval/reference_oracle.h"
#include "ksearch/llm/api_key.h"
#include "ksearch/llm/endpoint_probe.h"
#include "ksearch/store/artifacts_dir.h"

namespace ksearch::cli {

namespace {

struct doctor_options {
  endpoint_selection llm;
  std::string target_gpu = "H100";
  std::string arch;  // empty: from the device, else from target_gpu
  int device = 0;
  bool live = false;
  bool offline = false;
  bool allow_no_gpu = false;
  std::string artifacts_dir = ".ksearch";
  int endpoint_timeout_s = 15;
};

enum class check_status { ok, fail, skip };

struct check_result {
  std::string name;
  check_status status = check_status::ok;
  std::string detail;
  std::string fix;
};

const char* status_label(check_status s) {
  switch (s) {
    case check_status::ok: return "OK";
    case check_status::fail: return "FAIL";
    case check_status::skip: return "SKIP";
  }
  return "?";
}

std::string format_bytes(std::uintmax_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string format_cuda_version(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

class doctor {
 public:
  explicit doctor(const doctor_options& options) : options_(options) {}

  std::vector<check_result> run() {
    check_driver();
    check_devices();
    check_nvrtc();
    check_launch();
    check_endpoint();
    check_artifacts();
    check_bundled_data();
    check_oracle();
    return std::move(results_);
  }

 private:
  void add(std::string name, check_status status, std::string detail, std::string fix = {}) {
    results_.push_back({std::move(name), status, std::move(detail), std::move(fix)});
  }

  // Reports a failed step: the error's own fix when it has one, else `fallback_fix`.
  void add_error(std::string name, check_status status, const error& e, std::string fallback_fix) {
    add(std::move(name), status, e.subject.empty() ? e.problem : e.subject + ": " + e.problem,
        e.fix.empty() ? std::move(fallback_fix) : e.fix);
  }

  // A missing GPU is a failure on a GPU box and expected on CI or a laptop (--allow-no-gpu).
  check_status missing_gpu_status() const { return options_.allow_no_gpu ? check_status::skip : check_status::fail; }

  void check_driver() {
    auto driver = eval::cuda_driver::load();
    if (!driver) {
      add_error("cuda driver", missing_gpu_status(), driver.error(),
                "run on a machine with an NVIDIA GPU and driver; compile-only work needs none");
      return;
    }
    driver_ = *driver;
    add("cuda driver", check_status::ok,
        "CUDA " + format_cuda_version(driver_->version()) + " driver, " + std::to_string(driver_->device_count()) +
            " device(s) visible");
  }

  void check_devices() {
    if (!driver_) {
      add("cuda device", check_status::skip, "no CUDA device: no driver (see above)");
      return;
    }
    if (driver_->device_count() == 0) {
      add("cuda device", missing_gpu_status(), "no CUDA device visible", "check CUDA_VISIBLE_DEVICES and nvidia-smi");
      return;
    }
    for (int ordinal = 0; ordinal < driver_->device_count(); ++ordinal) {
      auto info = driver_->describe_device(ordinal);
      const std::string name = "cuda device " + std::to_string(ordinal);
      if (!info) {
        add_error(name, check_status::fail, info.error(), "");
        continue;
      }
      add(name, check_status::ok,
          info->name + ", cc " + std::to_string(info->cc_major) + "." + std::to_string(info->cc_minor) + ", " +
              std::to_string(info->sm_count) + " SMs, " + format_bytes(info->total_memory_bytes) + ", L2 " +
              format_bytes(info->l2_bytes) + ", smem opt-in " + format_bytes(info->max_smem_optin_bytes) + "/block");
      if (ordinal == options_.device) device_ = *info;
    }
    if (!device_) {
      add("cuda device " + std::to_string(options_.device), check_status::fail,
          "--device " + std::to_string(options_.device) + " is not among the " +
              std::to_string(driver_->device_count()) + " visible device(s)");
    }
  }

  void check_nvrtc() {
    const eval::nvrtc_version version = eval::loaded_nvrtc_version();
    std::string arch = options_.arch;
    if (arch.empty()) arch = device_ ? device_->nvrtc_arch() : eval::arch_for_gpu_name(options_.target_gpu);
    auto compiled = eval::compile_self_test_kernel(arch);
    const std::string prefix = "NVRTC " + std::to_string(version.major) + "." + std::to_string(version.minor);
    if (!compiled) {
      add("nvrtc compile", check_status::fail, prefix + ": " + compiled.error().subject + ": " + compiled.error().problem,
          "check the CUDA Toolkit install (libnvrtc and libnvrtc-builtins) and --arch");
      return;
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.0f ms", compiled->compile_ms);
    add("nvrtc compile", check_status::ok,
        prefix + ", compiled a test kernel for " + arch + " in " + ms + " (cubin " + format_bytes(compiled->cubin.size()) + ")");
  }

  void check_launch() {
    if (!device_) {
      add("gpu launch", check_status::skip, "no CUDA device to launch on");
      return;
    }
    auto report = eval::run_device_self_test(*driver_, options_.device);
    if (!report) {
      add_error("gpu launch", check_status::fail, report.error(),
                "a driver older than the toolkit, or a broken device: compare nvidia-smi with `nvcc --version`");
      return;
    }
    char text[160];
    std::snprintf(text, sizeof text, "compiled (%s), loaded and ran a kernel on device %d: %zu values correct in %.2f ms",
                  report->arch.c_str(), options_.device, report->elements, report->kernel_ms);
    add("gpu launch", check_status::ok, text);
  }

  void check_endpoint() {
    const llm::api_key key = llm::resolve_api_key(options_.llm.api_key);
    if (options_.offline) {
      add("llm endpoint", check_status::skip, "--offline");
      return;
    }
    const llm::endpoint ep{options_.llm.base_url, key.value, std::chrono::seconds(options_.endpoint_timeout_s)};
    const std::string key_note = key.present() ? "key from " + key.source : "no API key";
    llm::http_client client;
    auto models = llm::list_models(client, ep);
    if (!models) {
      std::string fix = models.error().fix;
      if (!key.present() && fix.empty()) fix = "set LLM_API_KEY or OPENAI_API_KEY";
      add("llm endpoint", check_status::fail, models.error().subject + ": " + models.error().problem + " (" + key_note + ")",
          fix);
      add("llm model", check_status::skip, "endpoint not reachable");
      add("llm completion", check_status::skip, "endpoint not reachable");
      return;
    }
    char latency[32];
    std::snprintf(latency, sizeof latency, "%.2f s", models->latency_s);
    add("llm endpoint", check_status::ok,
        options_.llm.base_url + " answered with " + std::to_string(models->ids.size()) + " models in " + latency + " (" +
            key_note + ")");

    if (options_.llm.model_name.empty()) {
      add("llm model", check_status::skip, "no --model-name given");
    } else if (std::find(models->ids.begin(), models->ids.end(), options_.llm.model_name) != models->ids.end()) {
      add("llm model", check_status::ok, "'" + options_.llm.model_name + "' is listed");
    } else {
      add("llm model", check_status::fail, "'" + options_.llm.model_name + "' is not among the endpoint's " +
                                               std::to_string(models->ids.size()) + " models",
          "check --model-name against `GET " + options_.llm.base_url + "/models`");
    }

    if (!options_.live) {
      add("llm completion", check_status::skip, "pass --live to send one tiny completion (a few tokens)");
    } else if (options_.llm.model_name.empty()) {
      add("llm completion", check_status::skip, "--live needs --model-name");
    } else if (auto reply = llm::probe_chat_completion(client, ep, options_.llm.model_name); !reply) {
      add("llm completion", check_status::fail, reply.error().subject + ": " + reply.error().problem, reply.error().fix);
    } else {
      char text[64];
      std::snprintf(text, sizeof text, " in %.2f s (%ld prompt + %ld completion tokens)", reply->latency_s,
                    reply->prompt_tokens, reply->completion_tokens);
      add("llm completion", check_status::ok, "replied '" + reply->reply.substr(0, 40) + "'" + text);
    }
  }

  void check_artifacts() {
    auto check = store::check_writable(options_.artifacts_dir);
    if (!check) {
      add_error("artifacts dir", check_status::fail, check.error(), "pass a writable --artifacts-dir");
      return;
    }
    add("artifacts dir", check_status::ok,
        check->absolute_path.string() + " is writable" + (check->created ? " (created)" : "") + ", " +
            format_bytes(check->free_bytes) + " free");
  }

  void check_bundled_data() {
    for (const char* name : {"tasks", "prompts"}) {
      if (auto dir = find_data_dir(name)) {
        add(std::string("bundled ") + name, check_status::ok, dir->string());
      } else {
        add(std::string("bundled ") + name, check_status::fail, "folder '" + std::string(name) + "' not found",
            "run from a ksearch checkout or install, or set KSEARCH_DATA_DIR to the folder holding tasks/ and prompts/");
      }
    }
  }

  // The PyTorch oracle that runs a definition's Python reference when it has no native one.
  void check_oracle() {
    auto script = eval::bundled_oracle_script();
    if (!script) {
      add("pytorch oracle", check_status::skip, "tasks/oracle/oracle_server.py not found");
      return;
    }
    eval::oracle_options oracle;
    oracle.python = eval::oracle_python();
    oracle.script = *script;
    oracle.device_ordinal = options_.device;
    const eval::oracle_environment env = eval::probe_oracle(oracle);
    if (!env.ready) {
      add("pytorch oracle", check_status::skip,
          "unavailable (needed only for definitions without a native CUDA reference): " + env.problem,
          "pip install torch safetensors for " + oracle.python + ", or set KSEARCH_PYTHON");
      return;
    }
    add("pytorch oracle", check_status::ok,
        oracle.python + ": Python " + env.python_version + ", torch " + env.torch_version + " on " + env.device);
  }

  const doctor_options& options_;
  std::shared_ptr<const eval::cuda_driver> driver_;
  std::optional<eval::device_info> device_;
  std::vector<check_result> results_;
};

void print_human(const std::vector<check_result>& results) {
  std::cerr << "ksearch doctor (ksearch " << KSEARCH_VERSION << ")\n";
  for (const check_result& r : results) {
    char label[16];
    std::snprintf(label, sizeof label, "[%4s]", status_label(r.status));
    char name[24];
    std::snprintf(name, sizeof name, "%-16s", r.name.c_str());
    std::cerr << "  " << label << " " << name << " " << r.detail << "\n";
    if (r.status == check_status::fail && !r.fix.empty()) std::cerr << "         " << std::string(16, ' ') << "  fix: " << r.fix << "\n";
  }
}

json to_json(const std::vector<check_result>& results, bool ok) {
  json checks = json::array();
  for (const check_result& r : results) {
    checks.push_back({{"name", r.name}, {"status", status_label(r.status)}, {"detail", r.detail}, {"fix", r.fix}});
  }
  return {{"ksearch_version", KSEARCH_VERSION}, {"ok", ok}, {"checks", checks}};
}

}  // namespace

void add_doctor_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto options = std::make_shared<doctor_options>();
  add_endpoint_flags(command, options->llm);
  command.add_option("--target-gpu", options->target_gpu, "GPU to compile for when none is present")
      ->capture_default_str();
  command.add_option("--arch", options->arch, "NVRTC architecture for the test compile (default: the device's)");
  command.add_option("--device", options->device, "Device ordinal for the launch test")
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  command.add_option("--artifacts-dir", options->artifacts_dir, "Artifacts folder to check")->capture_default_str();
  command.add_option("--endpoint-timeout", options->endpoint_timeout_s, "Seconds to wait for the endpoint")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  command.add_flag("--live", options->live, "Also send one tiny chat completion (costs a few tokens)");
  command.add_flag("--offline", options->offline, "Skip the LLM endpoint checks");
  command.add_flag("--allow-no-gpu", options->allow_no_gpu,
                   "Report a missing driver or device as SKIP instead of FAIL (CI, laptops)");

  handler = [options, &globals]() {
    const std::vector<check_result> results = doctor(*options).run();
    const bool ok = std::none_of(results.begin(), results.end(),
                                 [](const check_result& r) { return r.status == check_status::fail; });
    if (globals.json) {
      std::cout << to_json(results, ok).dump(2) << "\n";
    } else {
      print_human(results);
    }
    return ok ? exit_ok : exit_failure;
  };
}

}  // namespace ksearch::cli
