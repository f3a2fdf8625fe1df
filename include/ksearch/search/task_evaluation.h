// ksearch/search/task_evaluation.h — what every GPU task backend (FlashInfer, GPUMode) shares.
//
//   - compile_only_evaluation: a candidate compiled with NVRTC for a named GPU's architecture and
//     its launch plan parsed against the definition, with no GPU; COMPILED or COMPILE_ERROR,
//     never PASSED (lets a search's prompts, parsing and persistence run on a laptop or in CI).
//   - start_reporting_pool: the isolated evaluation workers, one per GPU (eval/evaluation_pool.h),
//     whose progress lines ("compiling", "workload K/N ...") become detail() of the caller's step.
//   - dataset_notes: <dataset>/notes/<definition>.md, the contract for these shapes and the hints a
//     kernel engineer would give, appended to the definition text the LLM reads.
//
// Thread-safety: functions; the observer must outlive the service (a stopping worker may report).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/eval/evaluation_pool.h"
#include "ksearch/eval/evaluator.h"
#include "ksearch/search/activity.h"
#include "ksearch/search/search_task.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::search {

[[nodiscard]] result<candidate_evaluation> compile_only_evaluation(const tasks::definition& def,
                                                                   const eval::solution_code& code,
                                                                   const std::string& target_gpu,
                                                                   activity_observer& activity);

[[nodiscard]] result<std::unique_ptr<eval::evaluation_pool>> start_reporting_pool(eval::evaluation_pool_options options,
                                                                               activity_observer& activity);

/// "\n" + the notes file's text, or "" when there is none.
[[nodiscard]] std::string dataset_notes(const std::filesystem::path& dataset_root, const std::string& definition);

}  // namespace ksearch::search
