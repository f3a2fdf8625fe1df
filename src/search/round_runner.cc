#include "ksearch/search/round_runner.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "ksearch/common/paths.h"
#include "ksearch/search/candidate_reply.h"

namespace ksearch::search {

namespace {

void add_to(round_usage& total, const round_usage& more) {
  total.calls += more.calls;
  total.prompt_tokens += more.prompt_tokens;
  total.completion_tokens += more.completion_tokens;
  total.reasoning_tokens += more.reasoning_tokens;
  if (total.cost_usd && more.cost_usd) {
    *total.cost_usd += *more.cost_usd;
  } else {
    total.cost_usd.reset();
  }
}

std::string format_tokens(long tokens) {
  char text[32];
  if (tokens >= 1000) {
    std::snprintf(text, sizeof text, "%.1fk tok", static_cast<double>(tokens) / 1000.0);
  } else {
    std::snprintf(text, sizeof text, "%ld tok", tokens);
  }
  return text;
}

/// `value` printed with `format` (one double conversion), or `missing` when there is none.
std::string format_or(const std::optional<double>& value, const char* format, const char* missing) {
  if (!value) return missing;
  char text[64];
  std::snprintf(text, sizeof text, format, *value);
  return text;
}

}  // namespace

std::string progress_line(const round_record& r, int max_rounds, std::optional<double> best_score) {
  char text[512];
  const std::string latency = format_or(r.evaluation.latency_ms, "%.4f ms", "-");
  const std::string speedup = format_or(r.evaluation.speedup_factor, "%.2fx", "-");
  const std::string best = format_or(best_score, "%.3f", "-");
  const std::string cost = format_or(r.usage.cost_usd, "$%.3f", "$?");
  std::snprintf(text, sizeof text, "round %d/%d  %-24s %-11s %-19s %12s %7s  best %s  %s  %s", r.round, max_rounds,
                r.node_id.empty() ? "-" : r.node_id.substr(0, 24).c_str(), r.prompt_kind.c_str(),
                r.evaluation.status.c_str(), latency.c_str(), speedup.c_str(), best.c_str(),
                format_tokens(r.usage.prompt_tokens + r.usage.completion_tokens).c_str(), cost.c_str());
  return text;
}

void round_runner::remember(const round_record& record) {
  if (!record.solution_id.empty()) solutions_[record.solution_id] = record;
  if (record.kind == "seed") seed_ = record;
  if (record.kind == "round") {
    add_to(total_usage_, record.usage);
    // Strictly greater replaces, so ties keep the earliest (spec §3.12).
    if (record.score() && (!best_ || *record.score() > *best_->score())) best_ = record;
  }
}

void round_runner::restore(const stored_rounds& rounds) {
  for (const round_record& r : rounds.records) remember(r);
}

void round_runner::add_usage(const round_usage& usage) { add_to(total_usage_, usage); }

const round_record* round_runner::find_solution(const std::string& id) const {
  const auto it = solutions_.find(id);
  return it == solutions_.end() ? nullptr : &it->second;
}

result<void> round_runner::record_seed(round_record seed) {
  seed.kind = "seed";
  seed.round = 0;
  seed.time = utc_timestamp();
  if (seed.solution) seed.solution_id = solution_id(*seed.solution);
  if (auto done = store_.append_round(seed, best_score()); !done) return done;
  remember(seed);
  return {};
}

result<round_outcome> round_runner::run(const round_plan& plan) {
  round_outcome out;
  round_record& r = out.record;
  r.round = plan.round;
  r.node_id = plan.node_id;
  r.cycle_start_round = plan.cycle_start_round;
  r.prompt_kind = plan.prompt_kind;

  // 1. A candidate: the prompt, then follow-ups with the parse error while replies are unusable.
  const candidate_identity identity{
      .name = safe_name(settings_.model + "_" + task_.name() + "_cuda_r" + std::to_string(plan.round)),
      .definition = task_.name(),
      .author = settings_.model,
      .target_gpu = settings_.target_gpu};
  std::vector<llm::chat_message> conversation{{"user", plan.prompt}};
  std::string last_problem;
  for (int attempt = 1; attempt <= settings_.codegen_attempts && !r.solution; ++attempt) {
    std::string what = "round " + std::to_string(plan.round) + ": waiting for the LLM (" + plan.prompt_kind;
    if (attempt > 1) what += ", reply " + std::to_string(attempt) + "/" + std::to_string(settings_.codegen_attempts);
    call_outcome reply = [&] {
      const activity_step step(activity(), what + ")");
      return llm_.ask(conversation, "codegen", r.usage);
    }();
    if (!reply.ok()) {
      r.evaluation.status = "LLM_ERROR";
      r.evaluation.feedback = reply.problem;
      out.stop = reply.failure == call_failure::retry_later ? call_failure::none : reply.failure;
      out.stop_reason = reply.problem;
      break;
    }
    r.raw_reply = reply.text;
    auto parsed = parse_candidate_reply(reply.text, identity);
    if (parsed) {
      r.solution = std::move(*parsed);
      break;
    }
    last_problem = parsed.error().to_string();
    spdlog::debug("round {}: reply {} unusable: {}", plan.round, attempt, last_problem);
    conversation.push_back({"assistant", reply.text});
    conversation.push_back({"user", "Your reply could not be used: " + last_problem +
                                        "\nReply again with the complete kernel.cu and launch.json in the format asked for."});
  }
  if (!r.solution && r.evaluation.status.empty()) {
    r.evaluation.status = "NO_CANDIDATE";
    r.evaluation.feedback = "The reply could not be turned into a candidate: " + last_problem;
  }

  // 2. The evaluation.
  if (r.solution) {
    r.solution_id = solution_id(*r.solution);
  }
  // A candidate identical to one already evaluated is not measured again: the GPU time goes to new
  // code, and the LLM is told it repeated itself.
  const round_record* seen = r.solution ? find_solution(r.solution_id) : nullptr;
  if (seen != nullptr && seen->evaluation.status != "HARNESS_ERROR") {
    // Point at the round that was measured, not at an earlier reuse of it.
    r.reused_from_round = seen->reused_from_round >= 0 ? seen->reused_from_round : seen->round;
    r.evaluation = seen->evaluation;
    const std::string prefix = "This candidate is identical to the one of round " + std::to_string(r.reused_from_round) +
                               "; it was not evaluated again. ";
    if (!r.evaluation.feedback.starts_with(prefix)) r.evaluation.feedback = prefix + r.evaluation.feedback;
  } else if (r.solution) {
    auto evaluated = [&] {
      const activity_step step(activity(), "round " + std::to_string(plan.round) + ": evaluating");
      return task_.evaluate(*r.solution);
    }();
    if (evaluated) {
      r.evaluation = std::move(*evaluated);
    } else {
      r.evaluation.status = "HARNESS_ERROR";
      r.evaluation.feedback = "The harness could not evaluate this candidate: " + evaluated.error().to_string();
      spdlog::warn("round {}: {}", plan.round, r.evaluation.feedback);
    }
  }

  // 3. The record, the best, the progress line.
  r.time = utc_timestamp();
  const bool new_best = r.score() && (!best_ || *r.score() > *best_->score());
  remember(r);
  if (auto done = store_.append_round(r, best_score()); !done) return std::unexpected(done.error());
  if (new_best) {
    if (auto done = store_.save_best(r); !done) return std::unexpected(done.error());
  }
  spdlog::info("{}", progress_line(r, settings_.max_rounds, best_score()));
  return out;
}

}  // namespace ksearch::search
