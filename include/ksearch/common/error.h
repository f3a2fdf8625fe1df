// ksearch/common/error.h — the error value every fallible ksearch call returns.
//
// Expected failures (a bad file, an unreachable endpoint, a kernel that does not compile) are
// values, not exceptions: `result<T>` holds either a T or an `error`. An error always names its
// subject (a file:line, a JSON field path, a CLI flag, a URL or an API call) so the person or LLM
// that reads it knows where to look, and may say how to fix it.
#pragma once

#include <expected>
#include <string>

namespace ksearch {

struct error {
  std::string subject;  // what the error is about: "tasks/x.json:12", "--max-opt-rounds", "cuInit"
  std::string problem;  // what went wrong, in one sentence
  std::string fix = {}; // how to fix it; empty when there is nothing useful to say

  /// "subject: problem (fix: ...)"; the fix part is left out when empty.
  [[nodiscard]] std::string to_string() const;
};

template <class T>
using result = std::expected<T, error>;

/// Shorthand for `return fail("--flag", "must be positive");` in a function returning result<T>.
[[nodiscard]] std::unexpected<error> fail(std::string subject, std::string problem,
                                          std::string fix = {});

}  // namespace ksearch
