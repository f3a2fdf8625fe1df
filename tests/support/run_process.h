// Test support: runs a real child process and captures what it printed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ksearch::test_support {

struct process_output {
  int exit_code = -1;  // the exit status, or 128 + signal when killed
  std::string out;     // stdout
  std::string err;     // stderr
  bool timed_out = false;
};

/// Runs `argv` (argv[0] is the program path), with `env_overrides` set (an empty value unsets the
/// variable), killing it after `timeout`.
[[nodiscard]] process_output run_process(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env_overrides = {},
                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// run_process for the ksearch binary built beside the tests.
[[nodiscard]] process_output run_ksearch(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env_overrides = {},
                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace ksearch::test_support
