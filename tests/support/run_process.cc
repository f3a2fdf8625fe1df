#include "support/run_process.h"

#include <stdexcept>

#include "ksearch/common/subprocess.h"

extern char** environ;

namespace ksearch::test_support {

namespace {

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (overrides.count(name) == 0) env.push_back(entry);
  }
  for (const auto& [name, value] : overrides) {
    if (!value.empty()) env.push_back(name + "=" + value);
  }
  return env;
}

}  // namespace

process_output run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env_overrides,
                           std::chrono::milliseconds timeout) {
  auto ran = run_command(argv, {.timeout = timeout, .env = merged_environment(env_overrides)});
  if (!ran) throw std::runtime_error(ran.error().to_string());
  return {.exit_code = ran->signal != 0 ? 128 + ran->signal : ran->exit_code,
          .out = std::move(ran->out),
          .err = std::move(ran->err),
          .timed_out = ran->timed_out};
}

process_output run_ksearch(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env_overrides,
                           std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{KSEARCH_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, env_overrides, timeout);
}

}  // namespace ksearch::test_support
