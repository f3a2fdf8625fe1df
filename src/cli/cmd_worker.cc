// `ksearch __worker`: the evaluation worker (hidden). Started by evaluation_service with the
// protocol channel in KSEARCH_WORKER_FDS; serves "evaluate" requests on one GPU until its parent
// closes the channel. Loads the CUDA driver and the device on the first request.
#include <CLI/CLI.hpp>

#include <cstdio>

#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/common/json.h"
#include "ksearch/eval/evaluator.h"
#include "ksearch/eval/isolation/worker_protocol.h"

namespace ksearch::cli {

namespace {
struct worker_options {
  int device = 0;
  std::string channel;  // "R,W" or "stdio"; empty: from KSEARCH_WORKER_FDS
};
}  // namespace

void add_worker_command(CLI::App& command, const global_options& /*globals*/, command_handler& handler) {
  auto options = std::make_shared<worker_options>();
  command.group("");  // hidden from --help: only ksearch starts it
  command.add_option("--device", options->device, "CUDA device ordinal")->check(CLI::Range(0, 1023));
  command.add_option("--channel", options->channel, "Protocol channel: R,W file descriptors or stdio");

  handler = [options]() {
    auto io = eval::open_worker_io(options->channel);
    if (!io) {
      std::fprintf(stderr, "ksearch __worker: %s\n", io.error().to_string().c_str());
      return exit_usage;
    }
    std::unique_ptr<eval::evaluator> evaluator;
    const std::map<std::string, eval::worker_handler> handlers = {
        {"evaluate", [&](const eval::worker_message& request) -> result<eval::worker_message> {
           if (!evaluator) {
             auto created = eval::evaluator::create(options->device);
             if (!created) return std::unexpected(created.error());
             evaluator = std::move(*created);
           }
           auto parsed = eval::eval_request_from_json(request);
           if (!parsed) return std::unexpected(parsed.error());
           auto outcome = evaluator->evaluate(*parsed);
           if (!outcome) return std::unexpected(outcome.error());
           return eval::worker_message(eval::to_json(*outcome));
         }},
    };
    return eval::serve_worker(*io, handlers);
  };
}

}  // namespace ksearch::cli
