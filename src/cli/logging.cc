#include "ksearch/cli/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

namespace ksearch::cli {

result<void> setup_logging(const std::string& level, const std::string& log_file) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  // from_str answers "off" for anything it does not know; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return fail("--log-level", "unknown level '" + level + "'", "use trace, debug, info, warn, error or off");
  }

  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!log_file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file, /*truncate=*/false));
    } catch (const spdlog::spdlog_ex& e) {
      return fail("--log-file " + log_file, e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("ksearch", sinks.begin(), sinks.end());
  logger->set_level(parsed);
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace ksearch::cli
