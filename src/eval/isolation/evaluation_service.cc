#include "ksearch/eval/isolation/evaluation_service.h"

#include <csignal>

#include <spdlog/spdlog.h>

#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/eval/isolation/worker_process.h"

namespace ksearch::eval {

struct evaluation_service::state {
  evaluation_service_options options;
  worker_process worker;
};

evaluation_service::evaluation_service(std::unique_ptr<state> s) : state_(std::move(s)) {}
evaluation_service::~evaluation_service() = default;

result<std::unique_ptr<evaluation_service>> evaluation_service::create(evaluation_service_options options) {
  const bool launched = !options.launcher.empty();
  if (options.worker_argv.empty()) {
    const auto exe = executable_path();
    if (exe.empty()) return fail("/proc/self/exe", "cannot find the ksearch executable to start a worker");
    options.worker_argv = {exe.string(), "__worker", "--device", std::to_string(options.device)};
    // A launcher passes no descriptors but stdin/stdout/stderr: the protocol goes over stdio.
    if (launched) options.worker_argv.insert(options.worker_argv.end(), {"--channel", "stdio"});
  }
  worker_options worker;
  worker.argv = options.launcher;
  worker.argv.insert(worker.argv.end(), options.worker_argv.begin(), options.worker_argv.end());
  if (launched) worker.channel = worker_channel::stdio;
  if (options.on_progress) {
    // Shared: worker_options copies its callback, and the scanner keeps a cut line between chunks.
    auto scanner = std::make_shared<progress_line_scanner>(options.on_progress);
    worker.on_output = [scanner](std::string_view chunk) { scanner->feed(chunk); };
  }
  auto started = worker_process::start(std::move(worker));
  if (!started) return fail("evaluation worker", started.error().to_string());
  return std::unique_ptr<evaluation_service>(
      new evaluation_service(std::make_unique<state>(state{std::move(options), std::move(*started)})));
}

std::string without_progress_lines(std::string_view output) {
  std::string kept;
  while (!output.empty()) {
    const std::size_t end = output.find('\n');
    const std::string_view line = output.substr(0, end == std::string_view::npos ? output.size() : end + 1);
    if (!line.starts_with(progress_marker)) kept.append(line);
    output.remove_prefix(line.size());
  }
  return kept;
}

void progress_line_scanner::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    const std::size_t newline = chunk.find('\n');
    if (!skipping_) {
      line_.append(chunk.substr(0, newline));
      const bool may_be_progress = line_.size() < progress_marker.size() ? progress_marker.starts_with(line_)
                                                                         : line_.starts_with(progress_marker);
      if (!may_be_progress || line_.size() > max_line_bytes) {
        skipping_ = true;
        line_.clear();
      }
    }
    if (newline == std::string_view::npos) return;  // the line goes on in the next chunk
    if (!skipping_ && line_.starts_with(progress_marker)) {
      on_progress_(std::string_view(line_).substr(progress_marker.size()));
    }
    line_.clear();
    skipping_ = false;
    chunk.remove_prefix(newline + 1);
  }
}

int evaluation_service::restarts() const { return state_->worker.restarts(); }
int evaluation_service::worker_pid() const { return state_->worker.pid(); }

namespace {

bool killed_from_outside(const worker_error& e) {
  return e.kind == worker_failure::crashed && (e.signal == SIGKILL || e.signal == SIGTERM || e.signal == SIGHUP);
}

}  // namespace

result<eval_result> evaluation_service::evaluate(const eval_request& request) {
  worker_message message = to_json(request);
  message["type"] = "evaluate";
  auto reply = state_->worker.call(message, state_->options.timeout);
  if (!reply && killed_from_outside(reply.error())) {
    spdlog::warn("evaluation worker was killed from outside ({}); running the evaluation again in a fresh worker",
                 reply.error().detail.to_string());
    reply = state_->worker.call(message, state_->options.timeout);
  }
  if (!reply) {
    const worker_error& e = reply.error();
    eval_result r;
    switch (e.kind) {
      case worker_failure::timeout:
        r.status = tasks::evaluation_status::timeout;
        r.log = "the evaluation did not finish within " + std::to_string(state_->options.timeout.count() / 1000) +
                " s (a kernel that never ends?); the worker was killed";
        break;
      case worker_failure::crashed:
      case worker_failure::protocol:
        r.status = tasks::evaluation_status::runtime_error;
        r.log = "the evaluation worker died: " + e.detail.to_string();  // the output tail follows below
        break;
      case worker_failure::handler_error:
      case worker_failure::start_failed:
        // The harness could not evaluate at all (no GPU, broken reference): not the candidate's fault.
        return std::unexpected(e.detail);
    }
    if (const std::string tail = without_progress_lines(e.output_tail); !tail.empty()) r.log += "\nlast output:\n" + tail;
    return r;
  }
  auto result = eval_result_from_json(*reply);
  if (!result) return std::unexpected(result.error());
  // A CUDA fault leaves the worker's context unusable: start the next evaluation afresh.
  if (result->status == tasks::evaluation_status::runtime_error) state_->worker.stop();
  return result;
}

}  // namespace ksearch::eval
