// ksearch/search/candidate_reply.h — a code-generation reply as a candidate Solution, and back.
//
// A candidate is exactly two files (docs/candidate-contract.md): kernel.cu (device code) and
// launch.json (its launch plan). The reply shapes accepted, in this order:
//   1. tagged files: <file path="kernel.cu">...</file> and <file path="launch.json">...</file>
//      (any element with a name= or path= attribute, so K-Search's <cuda_file name="kernel.cu">
//      works too; see llm/reply_parsing.h for how contents are cleaned);
//   2. fenced blocks, when no tagged kernel.cu or launch.json exists: the first ```cuda / cu /
//      cpp / c++ block is kernel.cu, the first ```json block is launch.json.
// launch.json must parse as a JSON object; whether the plan is valid is the evaluator's call. The
// solution's sources are the two extracted files only: the raw reply is never a source (K-Search
// stored prose and fences as code). Errors are written as feedback for a retry prompt:
// the subject is the file at fault, the problem and the fix say what to send instead.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/common/error.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::search {

/// Who the candidate is: copied into the Solution.
struct candidate_identity {
  std::string name;        // solution name, e.g. "<model>_<definition>_cuda_r3"
  std::string definition;  // the definition's name
  std::string author;      // the model
  std::string target_gpu;  // e.g. "H100"; recorded in the description (tasks::solution has no
                           // target_hardware field yet)
};

/// The candidate in `reply`, as a Solution with sources kernel.cu then launch.json and language
/// "cuda"; see above for the accepted shapes and the errors.
[[nodiscard]] result<tasks::solution> parse_candidate_reply(std::string_view reply, const candidate_identity& id);

/// The solution's files in the reply format, kernel.cu then launch.json then any others, for
/// prompts that show base or current code. parse_candidate_reply() reads it back unchanged.
[[nodiscard]] std::string code_view_for_prompt(const tasks::solution& s);

}  // namespace ksearch::search
