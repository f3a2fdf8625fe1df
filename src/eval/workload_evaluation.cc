#include "ksearch/eval/workload_evaluation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ksearch/common/elapsed.h"
#include "ksearch/common/json.h"
#include "ksearch/eval/check/compare.h"
#include "ksearch/eval/check/dtype.h"
#include "ksearch/eval/plan/definition_plan.h"
#include "ksearch/eval/plan_call.h"
#include "ksearch/tasks/fixed_inputs.h"

namespace ksearch::eval {

namespace {

// A timed call's check compares at most this many elements of each output, drawn at random:
// a call that skipped or replayed its work is wrong almost everywhere, and the correctness trials
// compared every element. Keeps the check's host time small for outputs of millions of elements.
constexpr std::size_t timed_check_elements = std::size_t{1} << 16;

// Output poison, alternating between checked calls. 0xFF is NaN in every floating type but -1 in
// integers, which a real -1 in the reference would match; 0x5A gives other values in every type
// (2^54-ish floats, 0x5A5A... integers), so an unwritten element fails in at least one trial.
constexpr std::array<std::uint8_t, 2> poison_bytes{0xFF, 0x5A};

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Trial t of workload w draws from hash(seed, w.uuid, t).
std::uint64_t trial_seed(std::uint64_t base, const std::string& uuid, std::uint64_t trial) {
  std::uint64_t h = mix64(base);
  for (unsigned char c : uuid) h = mix64(h ^ c);
  return mix64(h ^ (trial + 1));
}

workload_result failed(const std::string& uuid, tasks::evaluation_status status, std::string log) {
  workload_result r;
  r.uuid = uuid;
  r.status = status;
  r.log = std::move(log);
  return r;
}

std::string error_text(const error& e) { return e.to_string(); }

// The elements the host holds: the whole tensor, or the sample a timed call's check keeps.
result<comparison> compare_output(const eval_config& config, const tensor_buffer& t, const std::vector<std::byte>& got,
                                  const std::vector<std::byte>& expected) {
  const tensor_view candidate{t.type, got.data(), got.size() / size_bytes(t.type)};
  const tensor_view reference{t.type, expected.data(), expected.size() / size_bytes(t.type)};
  if (!is_floating(t.type)) return compare_exact(candidate, reference);
  if (config.comparator == "allclose") {
    return compare_allclose(candidate, reference, config.atol, config.rtol, /*nan_inf_parity=*/true);
  }
  if (config.comparator == "allclose_candidate") {  // KernelBench: torch.allclose(ref, new), NaN never equal
    return compare_allclose(candidate, reference, config.atol, config.rtol, /*nan_inf_parity=*/false,
                            relative_to::candidate);
  }
  return compare_flashinfer(candidate, reference, config.atol, config.rtol, config.required_matched_ratio);
}

// The seed of a large input: the definition and the input's name only (see evaluator.h).
std::uint64_t shared_seed(std::uint64_t base, const std::string& definition, const std::string& input) {
  return trial_seed(base, definition + "\n" + input, 0);
}

bool is_shared(const tensor_buffer& t) { return t.bytes() >= shared_input_bytes; }

// Draws the random inputs of one trial on the GPU, each from the workload's distribution for it
// (those `keep` marks are left alone: fixed ones, and in timed calls the shared ones; scalars are
// plan symbols already). Large inputs are shared across trials only when the oracle is the
// reference, whose every new draw would cross as a file. `wait`: until the draws are done.
result<void> draw_inputs(const evaluation_context& ctx, const tasks::workload& w, const std::vector<tensor_buffer>& inputs,
                         const std::vector<bool>& keep, std::uint64_t seed, bool wait) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (keep[i]) continue;
    const bool shared = ctx.oracle != nullptr && is_shared(inputs[i]);
    const std::uint64_t input_seed =
        shared ? shared_seed(ctx.request.config.seed, ctx.request.definition.name, inputs[i].name) : mix64(seed + i);
    const auto source = w.inputs.find(inputs[i].name);
    const tasks::value_distribution distribution =
        source != w.inputs.end() ? source->second.distribution : tasks::value_distribution{};
    if (auto filled = ctx.generator.fill(inputs[i].buffer.get(), inputs[i].type, inputs[i].count, input_seed,
                                         ctx.timer.stream(), distribution);
        !filled) {
      return filled;
    }
  }
  return wait ? synchronize(ctx.driver, ctx.timer.stream()) : result<void>{};
}

// Uploads the workload's fixed inputs once; returns which inputs are fixed.
result<std::vector<bool>> upload_fixed_inputs(const evaluation_context& ctx, const tasks::workload& w,
                                              const std::vector<tensor_buffer>& inputs) {
  auto fixed = tasks::fixed_inputs(ctx.request.definition, w, ctx.request.dataset_root);
  if (!fixed) return std::unexpected(fixed.error());
  std::vector<bool> is_fixed(inputs.size(), false);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto found = fixed->find(inputs[i].name);
    if (found == fixed->end()) continue;
    if (found->second.size() != inputs[i].bytes()) {
      return fail("workload " + w.uuid + " input '" + inputs[i].name + "'",
                  "has " + std::to_string(found->second.size()) + " bytes, its shape needs " + std::to_string(inputs[i].bytes()));
    }
    if (!found->second.empty()) {
      if (auto ok = inputs[i].buffer.upload(found->second.data(), found->second.size()); !ok) return std::unexpected(ok.error());
    }
    is_fixed[i] = true;
  }
  return is_fixed;
}

result<std::vector<std::uint64_t>> checksums(const evaluation_context& ctx, const std::vector<tensor_buffer>& inputs) {
  std::vector<std::uint64_t> sums;
  for (const tensor_buffer& t : inputs) {
    auto sum = ctx.generator.checksum(t.buffer.get(), t.bytes(), ctx.timer.stream());
    if (!sum) return std::unexpected(sum.error());
    sums.push_back(*sum);
  }
  return sums;
}

// Compares every output; fills `r` with the worst errors and returns false (with r.log set) on
// the first failing tensor.
result<bool> outputs_match(const evaluation_context& ctx, const std::vector<tensor_buffer>& outputs,
                           const std::vector<std::vector<std::byte>>& got, const std::vector<std::vector<std::byte>>& expected,
                           const std::string& when, workload_result& r) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    auto c = compare_output(ctx.request.config, outputs[i], got[i], expected[i]);
    if (!c) return std::unexpected(c.error());
    r.max_absolute_error = std::max(r.max_absolute_error, c->max_abs_error);
    r.max_relative_error = std::max(r.max_relative_error, c->max_rel_error);
    r.matched_ratio = std::min(r.matched_ratio, c->matched_ratio);
    if (!c->passed) {
      r.status = tasks::evaluation_status::incorrect_numerical;
      r.log = "output '" + outputs[i].name + "' " + when + ": " + c->summary();
      return false;
    }
  }
  return true;
}

// Runs the Python reference on the inputs now on the GPU: large inputs go once, as shared files
// keyed by what makes their bytes (the definition's seed, or for a fixed input its workload).
result<oracle_call_result> ask_oracle(const evaluation_context& ctx, const tasks::workload& w,
                                      const std::vector<tensor_buffer>& inputs, const std::vector<bool>& fixed,
                                      bool time) {
  std::vector<host_tensor> own;
  std::vector<shared_input> shared;
  std::size_t next = 0;
  for (const tasks::tensor_spec& spec : ctx.request.definition.inputs) {
    if (spec.is_scalar()) continue;
    const bool is_fixed = fixed[next];
    const tensor_buffer& t = inputs[next++];
    auto copy_out = [&t]() -> result<std::vector<std::byte>> {
      std::vector<std::byte> bytes(t.bytes());
      if (!bytes.empty()) {
        if (auto ok = t.buffer.download(bytes.data(), bytes.size()); !ok) return std::unexpected(ok.error());
      }
      return bytes;
    };
    const std::vector<std::int64_t> shape = tasks::tensor_shape(spec, w);
    if (is_shared(t)) {
      std::string key = t.name + "/" + std::to_string(t.bytes()) + "/" +
                        (is_fixed ? "workload " + w.uuid
                                  : std::to_string(shared_seed(ctx.request.config.seed, ctx.request.definition.name, t.name)));
      shared.push_back(shared_input{std::move(key), t.name, spec.dtype, shape, copy_out});
      continue;
    }
    auto bytes = copy_out();
    if (!bytes) return std::unexpected(bytes.error());
    own.push_back(host_tensor{t.name, spec.dtype, shape, std::move(*bytes)});
  }
  json scalars = json::object();
  for (const tasks::tensor_spec& spec : ctx.request.definition.inputs) {
    if (!spec.is_scalar()) continue;
    const double value = w.inputs.at(spec.name).scalar_value;
    if (spec.dtype.starts_with("float")) {
      scalars[spec.name] = value;
    } else {
      scalars[spec.name] = std::llround(value);
    }
  }
  // A fixed sample count (KernelBench's perf trials) holds for the reference as for the candidate.
  const criterion_params& timing = ctx.request.config.timing;
  return ctx.oracle->run(own, shared, scalars, time, timing.kind == criterion_kind::fixed ? timing.max_samples : 0);
}

// The steps of one workload (see the header). Each step returns true to go on, false when the
// workload's verdict is final (in r_), or the harness's error.
class workload_evaluation {
 public:
  workload_evaluation(const evaluation_context& ctx, const tasks::workload& w)
      : ctx_(ctx), w_(w), config_(ctx.request.config), stream_(ctx.timer.stream()), native_(ctx.reference != nullptr) {
    r_.uuid = w.uuid;
  }

  result<workload_result> run() {
    for (auto step : {&workload_evaluation::resolve, &workload_evaluation::allocate, &workload_evaluation::check_trials,
                      &workload_evaluation::time_candidate, &workload_evaluation::check_timed_output,
                      &workload_evaluation::time_reference, &workload_evaluation::check_physics}) {
      auto go_on = (this->*step)();
      if (!go_on) return std::unexpected(go_on.error());
      if (!*go_on) break;
    }
    return std::move(r_);
  }

 private:
  // Ends the steps with the candidate's failure.
  bool stop(tasks::evaluation_status status, std::string log) {
    r_ = failed(w_.uuid, status, std::move(log));
    return false;
  }
  // A candidate call that fails is a RUNTIME_ERROR naming the step or the sync that saw it.
  bool candidate_fault(const error& e, const std::string& when) {
    return stop(tasks::evaluation_status::runtime_error, "call " + when + ": " + error_text(e));
  }
  result<void> run_reference(CUstream s) { return queue_call(ctx_.driver, *ctx_.reference, *reference_plan_, reference_call(), s); }
  result<void> run_candidate(CUstream s) { return queue_call(ctx_.driver, ctx_.candidate, *candidate_plan_, candidate_call(), s); }
  call_buffers reference_call() const { return {&inputs_, &reference_outputs_, &reference_workspaces_}; }
  call_buffers candidate_call() const { return {&inputs_, &candidate_outputs_, &candidate_workspaces_}; }
  result<void> draw(std::uint64_t seed) { return draw_inputs(ctx_, w_, inputs_, fixed_, seed, /*wait=*/true); }
  // Timed call `call`'s inputs: all but the fixed and shared ones drawn afresh.
  result<void> draw_timed(std::size_t call, bool wait) {
    return draw_inputs(ctx_, w_, inputs_, kept_in_timing_, trial_seed(config_.seed, w_.uuid, 2000 + call), wait);
  }

  // 1. The plans for this workload.
  result<bool> resolve() {
    auto symbols = plan_symbols(ctx_.request.definition, w_);
    if (!symbols) return fail("workload " + w_.uuid, error_text(symbols.error()));
    const device_limits limits = device_limits_from(ctx_.device);
    if (native_) {
      auto plan = resolve_launch_plan(ctx_.reference->plan, *symbols, limits);
      if (!plan) return fail("reference", "launch plan: " + error_text(plan.error()));
      reference_plan_ = std::move(*plan);
    }
    auto plan = resolve_launch_plan(ctx_.candidate.plan, *symbols, limits);
    if (!plan) return stop(tasks::evaluation_status::compile_error, "launch plan: " + error_text(plan.error()));
    candidate_plan_ = std::move(*plan);
    return true;
  }

  // 2. Shared inputs (fixed ones uploaded now), an output set per solution, each solution's workspaces.
  result<bool> allocate() {
    const tasks::definition& def = ctx_.request.definition;
    const cuda_driver& driver = ctx_.driver;
    auto inputs = allocate_tensors(driver, def.inputs, w_);
    if (!inputs) return fail("inputs", error_text(inputs.error()));
    inputs_ = std::move(*inputs);
    auto fixed = upload_fixed_inputs(ctx_, w_, inputs_);
    if (!fixed) return std::unexpected(fixed.error());
    fixed_ = std::move(*fixed);
    auto reference_outputs = allocate_tensors(driver, native_ ? def.outputs : std::vector<tasks::tensor_spec>{}, w_);
    if (!reference_outputs) return fail("reference outputs", error_text(reference_outputs.error()));
    reference_outputs_ = std::move(*reference_outputs);
    auto candidate_outputs = allocate_tensors(driver, def.outputs, w_);
    if (!candidate_outputs) return fail("candidate outputs", error_text(candidate_outputs.error()));
    candidate_outputs_ = std::move(*candidate_outputs);
    if (native_) {
      auto allocated = allocate_workspaces(driver, *reference_plan_);
      if (!allocated) return fail("reference", error_text(allocated.error()));
      reference_workspaces_ = std::move(*allocated);
      if (auto ok = opt_in_shared_memory(driver, *ctx_.reference, *reference_plan_); !ok) {
        return fail("reference", error_text(ok.error()));
      }
    }
    auto candidate_workspaces = allocate_workspaces(driver, *candidate_plan_);
    if (!candidate_workspaces) return stop(tasks::evaluation_status::runtime_error, error_text(candidate_workspaces.error()));
    candidate_workspaces_ = std::move(*candidate_workspaces);
    if (auto ok = opt_in_shared_memory(driver, ctx_.candidate, *candidate_plan_); !ok) {
      return stop(tasks::evaluation_status::runtime_error, error_text(ok.error()));
    }
    return true;
  }

  // The reference's outputs for the current inputs; the oracle times itself when asked to
  // (`time_oracle`), the native reference is timed later like the candidate.
  result<std::vector<std::vector<std::byte>>> reference_outputs_now(bool time_oracle) {
    if (!native_) {
      auto answer = ask_oracle(ctx_, w_, inputs_, fixed_, time_oracle);
      if (!answer) return std::unexpected(answer.error());
      if (answer->timing) oracle_timing_ = answer->timing;
      for (std::size_t i = 0; i < answer->outputs.size(); ++i) {
        if (answer->outputs[i].size() != candidate_outputs_[i].bytes()) {
          return fail("reference oracle output '" + candidate_outputs_[i].name + "'",
                      "has " + std::to_string(answer->outputs[i].size()) + " bytes, its shape needs " +
                          std::to_string(candidate_outputs_[i].bytes()));
        }
      }
      return std::move(answer->outputs);
    }
    if (auto ok = run_reference(stream_); !ok) return fail("reference", error_text(ok.error()));
    if (auto ok = synchronize(ctx_.driver, stream_); !ok) return fail("reference", error_text(ok.error()));
    return download(reference_outputs_);
  }

  // 3. Correctness trials: fresh inputs each, poisoned outputs, inputs unchanged, outputs equal.
  result<bool> check_trials() {
    const auto start = std::chrono::steady_clock::now();
    for (int trial = 0; trial < config_.correctness_trials; ++trial) {
      const std::string when =
          "in correctness trial " + std::to_string(trial + 1) + " of " + std::to_string(config_.correctness_trials);
      if (auto ok = draw(trial_seed(config_.seed, w_.uuid, static_cast<std::uint64_t>(trial))); !ok) {
        return fail("inputs", error_text(ok.error()));
      }
      auto expected = reference_outputs_now(false);
      if (!expected) return std::unexpected(expected.error());
      auto before = checksums(ctx_, inputs_);
      if (!before) return std::unexpected(before.error());
      const std::uint8_t byte = poison_bytes[static_cast<std::size_t>(trial) % poison_bytes.size()];
      if (auto ok = poison(candidate_outputs_, byte, stream_, ctx_.driver); !ok) return std::unexpected(ok.error());
      if (auto ok = poison_uninitialised(*candidate_plan_, candidate_workspaces_, byte, stream_, ctx_.driver); !ok) {
        return std::unexpected(ok.error());
      }
      if (auto ok = ctx_.scrub.queue(stream_); !ok) return std::unexpected(ok.error());
      if (auto ok = run_candidate(stream_); !ok) return candidate_fault(ok.error(), when);
      if (auto ok = synchronize(ctx_.driver, stream_); !ok) return candidate_fault(ok.error(), when);
      auto after = checksums(ctx_, inputs_);
      if (!after) return candidate_fault(after.error(), when);
      for (std::size_t i = 0; i < inputs_.size(); ++i) {
        if ((*before)[i] != (*after)[i]) {
          return stop(tasks::evaluation_status::runtime_error,
                      "input '" + inputs_[i].name + "' was modified by the call " + when + "; inputs are read-only");
        }
      }
      auto got = download(candidate_outputs_);
      if (!got) return candidate_fault(got.error(), when);
      auto match = outputs_match(ctx_, candidate_outputs_, *got, *expected, when, r_);
      if (!match) return std::unexpected(match.error());
      if (!*match) return false;
    }
    r_.correctness_wall_ms = ms_since(start);
    return config_.time_candidate;
  }

  // What a failed timed check says about the call's inputs.
  std::string inputs_note() const {
    const bool drawn = std::find(kept_in_timing_.begin(), kept_in_timing_.end(), false) != kept_in_timing_.end();
    return drawn ? ", fresh inputs" : ", the workload's fixed inputs";
  }

  // Whether timed call `call`, just finished, is checked: every one with recheck, otherwise at
  // random up to the cap. Decided after the call ran, so the call could not have known.
  bool check_this_call() {
    if (config_.recheck) return true;
    if (r_.timed_checks >= config_.max_timed_checks) return false;
    return std::bernoulli_distribution(config_.timed_check_probability)(check_draws_);
  }

  // Checks timed call `call`, the last one queued: its output against the reference's for its
  // inputs. Shared and fixed inputs must be as they were; the drawn ones are drawn again (the
  // same seed) before the reference runs, so a call that wrote them cannot skew its own check.
  result<bool> check_timed_call(std::size_t call, const std::string& when) {
    if (auto ok = synchronize(ctx_.driver, stream_); !ok) return candidate_fault(ok.error(), when);
    auto got = download(candidate_outputs_);
    if (!got) return candidate_fault(got.error(), when);
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      if (!kept_in_timing_[i]) continue;
      auto sum = ctx_.generator.checksum(inputs_[i].buffer.get(), inputs_[i].bytes(), stream_);
      if (!sum) return candidate_fault(sum.error(), when);
      if (*sum != kept_sums_[i]) {
        return stop(tasks::evaluation_status::runtime_error,
                    "input '" + inputs_[i].name + "' was modified by a call " + when + "; inputs are read-only");
      }
    }
    if (auto ok = draw_timed(call, /*wait=*/true); !ok) return std::unexpected(ok.error());
    auto expected = reference_outputs_now(false);
    if (!expected) {
      reference_failed_ = expected.error();
      return false;
    }
    ++r_.timed_checks;
    std::string sampled;
    for (std::size_t i = 0; i < candidate_outputs_.size(); ++i) {
      if (candidate_outputs_[i].count <= timed_check_elements) continue;
      keep_sampled_elements((*got)[i], (*expected)[i], size_bytes(candidate_outputs_[i].type), timed_check_elements,
                            check_draws_());
      sampled = "; " + std::to_string(timed_check_elements) + " elements per output compared, at random";
    }
    return outputs_match(ctx_, candidate_outputs_, *got, *expected, when + sampled, r_);
  }

  // Before timed call `next` (after the previous one finished): that one checked if chosen, then
  // this call's inputs drawn and its outputs poisoned, queued ahead of it outside its span.
  // Its wall time is the defences' cost (workload_result::defences_wall_ms).
  result<bool> before_timed_call(std::size_t next) {
    const auto start = std::chrono::steady_clock::now();
    auto done = prepare_timed_call(next);
    r_.defences_wall_ms += ms_since(start);
    return done;
  }
  result<bool> prepare_timed_call(std::size_t next) {
    if (next > 0 && check_this_call()) {
      const std::string how = config_.recheck ? " (recheck" : " (checked at random";
      auto ok = check_timed_call(next - 1, "in timed call " + std::to_string(next) + how + inputs_note() + ")");
      if (!ok) return ok;  // the harness's error: measure() returns it
      if (!*ok) {
        timed_check_ended_ = true;  // the verdict is in r_
        return false;
      }
    }
    last_timed_call_ = next;
    if (auto ok = draw_timed(next, /*wait=*/false); !ok) return std::unexpected(ok.error());
    if (auto ok = poison(candidate_outputs_, poison_bytes[next % poison_bytes.size()], stream_, ctx_.driver); !ok) {
      return std::unexpected(ok.error());
    }
    return true;
  }

  // 4. Timing: the warm-up on one fresh input set, then every timed call on inputs of its own
  //    with poisoned outputs (see the header).
  result<bool> time_candidate() {
    timing_start_ = std::chrono::steady_clock::now();
    if (auto ok = draw(trial_seed(config_.seed, w_.uuid, 1000)); !ok) return fail("inputs", error_text(ok.error()));
    if (!native_ && config_.time_reference) {
      auto timed = reference_outputs_now(/*time_oracle=*/true);
      if (!timed) return std::unexpected(timed.error());
    }
    kept_in_timing_ = fixed_;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      if (ctx_.oracle != nullptr && is_shared(inputs_[i])) kept_in_timing_[i] = true;
    }
    auto sums = checksums(ctx_, inputs_);
    if (!sums) return std::unexpected(sums.error());
    kept_sums_ = std::move(*sums);
    check_draws_.seed(std::random_device{}() ^ trial_seed(config_.seed, w_.uuid, 3000));
    if (auto ok = poison(candidate_outputs_, poison_bytes[0], stream_, ctx_.driver); !ok) return std::unexpected(ok.error());
    auto timing = ctx_.timer.measure([this](CUstream s) { return run_candidate(s); }, config_.timing, config_.flush_l2,
                                     config_.clock, {}, [this](std::size_t next) { return before_timed_call(next); });
    if (reference_failed_) return std::unexpected(*reference_failed_);
    if (timed_check_ended_) return false;
    if (!timing) return candidate_fault(timing.error(), "while timing");
    r_.timing = timing->summary;
    r_.latency_ms = r_.timing.mean_ms;
    return true;
  }

  // 5. The last timed call is always checked: a kernel that skips calls it guesses are unchecked
  //    leaves a poisoned output here.
  result<bool> check_timed_output() {
    const auto start = std::chrono::steady_clock::now();
    auto ok = check_timed_call(last_timed_call_, "in the last timed call (always checked" + inputs_note() + ")");
    r_.defences_wall_ms += ms_since(start);
    if (reference_failed_) return std::unexpected(*reference_failed_);
    return ok;
  }

  result<bool> time_reference() {
    if (config_.time_reference) {
      if (native_) {
        auto timing = ctx_.timer.measure([this](CUstream s) { return run_reference(s); }, config_.timing,
                                         config_.flush_l2, config_.clock);
        if (!timing) return fail("reference", "timing: " + error_text(timing.error()));
        r_.reference_timing = timing->summary;
      } else if (oracle_timing_) {
        r_.reference_timing = *oracle_timing_;
      }
      r_.reference_latency_ms = r_.reference_timing.mean_ms;
      if (r_.reference_latency_ms > 0) r_.speedup_factor = r_.reference_latency_ms / r_.latency_ms;
    }
    r_.timing_wall_ms = ms_since(timing_start_);
    return true;
  }

  // 6. Physics: every output byte must be written at least once, no faster than peak bandwidth.
  //    Also the roofline's numbers for the profile: the bytes a call must move at least.
  result<bool> check_physics() {
    double output_bytes = 0;
    for (const tensor_buffer& t : candidate_outputs_) output_bytes += static_cast<double>(t.bytes());
    double input_bytes = 0;
    for (const tensor_buffer& t : inputs_) input_bytes += static_cast<double>(t.bytes());
    r_.min_bytes = input_bytes + output_bytes;
    r_.peak_bandwidth_bytes_per_s = ctx_.peak_bandwidth;
    r_.floor_ms = output_bytes / ctx_.peak_bandwidth * 1e3;
    if (r_.timing.median_ms < r_.floor_ms) {
      r_.status = tasks::evaluation_status::incorrect_numerical;
      r_.log = "suspicious timing: median " + std::to_string(r_.timing.median_ms * 1e3) + " us is below the " +
               std::to_string(r_.floor_ms * 1e3) + " us it takes to write the outputs at peak bandwidth; " +
               "work may be escaping the timed stream";
      return false;
    }
    return true;
  }

  const evaluation_context& ctx_;
  const tasks::workload& w_;
  const eval_config& config_;
  const CUstream stream_;
  const bool native_;
  workload_result r_;
  std::optional<resolved_plan> reference_plan_, candidate_plan_;
  std::vector<tensor_buffer> inputs_, reference_outputs_, candidate_outputs_;
  std::vector<bool> fixed_;
  std::vector<device_buffer> reference_workspaces_, candidate_workspaces_;
  std::optional<timing_summary> oracle_timing_;
  std::vector<bool> kept_in_timing_;       // inputs the timed calls do not draw afresh
  std::vector<std::uint64_t> kept_sums_;   // every input's checksum as timing began
  std::mt19937_64 check_draws_;            // which timed calls are checked
  std::size_t last_timed_call_ = 0;
  bool timed_check_ended_ = false;         // a check between timed calls failed (r_ says why)
  std::chrono::steady_clock::time_point timing_start_;
  std::optional<error> reference_failed_;  // the harness's fault, not the candidate's
};

}  // namespace

double default_peak_bandwidth(const device_info& device) {
  if (device.dram_bandwidth_bytes_per_s > 0) return device.dram_bandwidth_bytes_per_s;
  if (device.name.find("H200") != std::string::npos) return 4.8e12;
  if (device.name.find("H100") != std::string::npos) return 3.35e12;
  return 8e12;
}

result<workload_result> evaluate_workload(const evaluation_context& ctx, const tasks::workload& w) {
  return workload_evaluation(ctx, w).run();
}

}  // namespace ksearch::eval
