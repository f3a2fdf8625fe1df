// ksearch/cli/cmd_bench_pool.h — `ksearch bench pool`, the multi-GPU evaluation throughput benchmark
// (see src/cli/cmd_bench_pool.cc for what it measures).
#pragma once

#include "ksearch/cli/commands.h"

namespace CLI {
class App;
}

namespace ksearch::cli {

/// Adds `pool` under the bench command; the handler returns -1 when `pool` was not the subcommand run.
[[nodiscard]] command_handler add_bench_pool_command(CLI::App& bench, const global_options& globals);

}  // namespace ksearch::cli
