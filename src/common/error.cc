#include "ksearch/common/error.h"

#include <utility>

namespace ksearch {

std::string error::to_string() const {
  std::string text = subject.empty() ? problem : subject + ": " + problem;
  if (!fix.empty()) text += " (fix: " + fix + ")";
  return text;
}

std::unexpected<error> fail(std::string subject, std::string problem, std::string fix) {
  return std::unexpected<error>(error{std::move(subject), std::move(problem), std::move(fix)});
}

}  // namespace ksearch
