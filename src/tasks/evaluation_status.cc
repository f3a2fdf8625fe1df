#include "ksearch/tasks/evaluation_status.h"

#include <array>
#include <ostream>
#include <string>
#include <utility>

namespace ksearch::tasks {

namespace {

constexpr std::array<std::pair<evaluation_status, std::string_view>, 11> status_names{{
    {evaluation_status::passed, "PASSED"},
    {evaluation_status::compile_error, "COMPILE_ERROR"},
    {evaluation_status::runtime_error, "RUNTIME_ERROR"},
    {evaluation_status::timeout, "TIMEOUT"},
    {evaluation_status::incorrect_shape, "INCORRECT_SHAPE"},
    {evaluation_status::incorrect_numerical, "INCORRECT_NUMERICAL"},
    {evaluation_status::incorrect_dtype, "INCORRECT_DTYPE"},
    {evaluation_status::compiled, "COMPILED"},
    {evaluation_status::no_candidate, "NO_CANDIDATE"},
    {evaluation_status::llm_error, "LLM_ERROR"},
    {evaluation_status::harness_error, "HARNESS_ERROR"},
}};

}  // namespace

std::string_view to_string(evaluation_status status) {
  for (const auto& [s, name] : status_names) {
    if (s == status) return name;
  }
  return "UNKNOWN";
}

result<evaluation_status> evaluation_status_from_string(std::string_view text) {
  for (const auto& [s, name] : status_names) {
    if (name == text) return s;
  }
  return fail("status", "unknown evaluation status '" + std::string(text) + "'");
}

std::ostream& operator<<(std::ostream& out, evaluation_status status) { return out << to_string(status); }

}  // namespace ksearch::tasks
