// The plain search (search_loop.h): the original's KernelGenerator loop, one LLM call per round.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "ksearch/search/candidate_reply.h"
#include "ksearch/search/prompts.h"
#include "ksearch/search/search_loop.h"

namespace ksearch::search {

namespace {

std::string round_summary(const round_record& r) {
  std::string text = "Round " + std::to_string(r.round) + ": " + r.evaluation.status_name();
  if (r.evaluation.passed && r.evaluation.score) {
    text += "\n" + r.evaluation.score_name + ": " + std::to_string(*r.evaluation.score);
  }
  text += "\n" + r.evaluation.perf_summary("last_round");
  return text;
}

}  // namespace

result<search_summary> run_plain_search(search_services& s, const search_settings& settings) {
  auto rounds = s.store.load_rounds();
  if (!rounds) return std::unexpected(rounds.error());
  for (const std::string& w : rounds->warnings) spdlog::warn("{}", w);

  // The code the next prompt shows: the last batch's best candidate (its last one when none
  // passed), else the seed's.
  std::optional<round_record> last;
  std::vector<round_record> batch;
  for (const round_record& r : rounds->records) {
    if (!batch.empty() && r.prompt_round != batch.front().prompt_round) batch.clear();
    batch.push_back(r);
    if (const round_record* next_base = batch_representative(batch)) last = *next_base;
  }
  search_summary summary;
  int round = rounds->last_round() + 1;
  while (round <= settings.max_rounds) {
    result<std::string> prompt = std::unexpected(error{});
    std::string kind;
    if (!last || !last->solution) {
      kind = "generate";
      prompt = plain_generate_prompt(s.prompts, {.target_gpu = settings.target_gpu,
                                                 .definition_text = s.task.definition_text(),
                                                 .baseline_targets = s.task.baseline_targets_text()});
    } else {
      kind = "optimize";
      plain_optimize_inputs in{.target_gpu = settings.target_gpu,
                               .definition_text = s.task.definition_text(),
                               .current_code = code_view_for_prompt(*last->solution),
                               .trace_logs = last->evaluation.status_name() + ": " + last->evaluation.feedback,
                               .last_round_summary = round_summary(*last),
                               .baseline_targets = s.task.baseline_targets_text()};
      if (const auto& best = s.runner.best(); best && best->solution) {
        in.best_code = code_view_for_prompt(*best->solution);
        in.best_summary = "Performance: " + best->evaluation.score_name + " " + std::to_string(*best->score());
      }
      prompt = plain_optimize_prompt(s.prompts, in);
    }
    if (!prompt) return std::unexpected(prompt.error());
    const int samples = std::min(settings.samples_per_round, settings.max_rounds - round + 1);
    auto outcome = s.runner.run(
        {.round = round, .samples = samples, .node_id = "", .cycle_start_round = 0, .prompt_kind = kind, .prompt = *prompt});
    if (!outcome) return std::unexpected(outcome.error());
    if (summary.first_round == 0) summary.first_round = round;
    round += static_cast<int>(outcome->records.size());
    if (const round_record* next_base = batch_representative(outcome->records)) last = *next_base;
    if (outcome->stop != call_failure::none) {
      summary.stop_reason = outcome->stop_reason;
      summary.fatal = outcome->stop == call_failure::fatal;
      break;
    }
  }
  summary.last_round = round - 1;
  if (summary.stop_reason.empty()) summary.stop_reason = "round budget spent";
  return summary;
}

}  // namespace ksearch::search
