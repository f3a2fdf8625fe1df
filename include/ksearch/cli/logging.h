// ksearch/cli/logging.h — the process logger (spdlog), set up once by the CLI.
//
// Human-readable logs go to stderr (coloured on a terminal) and, with --log-file, are appended to
// a file as well. stdout is kept for machine output (--json).
#pragma once

#include <string>

#include "ksearch/common/error.h"

namespace ksearch::cli {

/// Installs the default spdlog logger. `level` is one of trace, debug, info, warn, error, off.
/// Errors name --log-level or --log-file.
[[nodiscard]] result<void> setup_logging(const std::string& level, const std::string& log_file);

}  // namespace ksearch::cli
