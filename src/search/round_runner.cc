#include "ksearch/search/round_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "ksearch/common/known_sum.h"
#include "ksearch/common/paths.h"
#include "ksearch/search/candidate_reply.h"
#include "ksearch/search/candidate_draft.h"

namespace ksearch::search {

namespace {

void add_to(round_usage& total, const round_usage& more) {
  total.calls += more.calls;
  add_known_usage(total, more);
}

std::string format_tokens(std::optional<long> tokens) {
  if (!tokens) return "? tok";
  char text[32];
  if (*tokens >= 1000) {
    std::snprintf(text, sizeof text, "%.1fk tok", static_cast<double>(*tokens) / 1000.0);
  } else {
    std::snprintf(text, sizeof text, "%ld tok", *tokens);
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
                r.evaluation.status_name().c_str(), latency.c_str(), speedup.c_str(), best.c_str(),
                format_tokens(known_sum(r.usage.prompt_tokens, r.usage.completion_tokens)).c_str(), cost.c_str());
  return text;
}

void round_runner::remember(const round_record& record) {
  if (!record.solution_id.empty()) solutions_[record.solution_id] = record;
  if (record.kind == "seed") seed_ = record;
  if (record.kind == "round") {
    add_to(total_usage_, record.usage);
    // Strictly greater replaces, so ties keep the earliest, as in K-Search.
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

// The calling thread's view of a batch: each sample's phase and results, and the events the
// drafting and evaluating threads post. A thread writes only its own sample's draft or evaluation,
// before posting; the calling thread reads them after taking the event, under the same mutex.
struct round_runner::batch {
  enum class phase { drafting, queued, evaluating, waiting_for_twin, done };
  struct sample {
    phase at = phase::drafting;
    int reply = 1;  // the reply awaited while drafting
    candidate_draft draft;
    std::optional<result<evaluation_outcome>> evaluation;
    std::string solution_id;
  };
  enum class happened { reply_wait, drafted, evaluated };
  struct event {
    std::size_t sample = 0;
    happened what = happened::drafted;
    int reply = 0;
  };

  batch(const round_plan& p, std::size_t n) : plan(p), samples(n) {}

  const round_plan& plan;
  std::vector<sample> samples;
  round_outcome out;

  void post(event e) {
    {
      const std::lock_guard<std::mutex> hold(lock_);
      events_.push_back(e);
    }
    changed_.notify_one();
  }
  event next() {
    std::unique_lock<std::mutex> hold(lock_);
    changed_.wait(hold, [this] { return !events_.empty(); });
    const event e = events_.front();
    events_.pop_front();
    return e;
  }

 private:
  std::mutex lock_;
  std::condition_variable changed_;
  std::deque<event> events_;
};

namespace {

// The one activity step the batch shows; changing the text ends the old step and begins the new.
class step_display {
 public:
  explicit step_display(activity_observer& observer) : observer_(observer) {}
  ~step_display() { show(""); }
  step_display(const step_display&) = delete;
  step_display& operator=(const step_display&) = delete;

  void show(const std::string& text) {
    if (text == shown_) return;
    if (!shown_.empty()) observer_.end();
    if (!text.empty()) observer_.begin(text);
    shown_ = text;
  }

 private:
  activity_observer& observer_;
  std::string shown_;
};

}  // namespace

std::string round_runner::step_text(const batch& b) const {
  const round_plan& plan = b.plan;
  using phase = batch::phase;
  if (b.samples.size() == 1) {
    const batch::sample& s = b.samples.front();
    const std::string round = "round " + std::to_string(plan.round) + ": ";
    if (s.at == phase::evaluating) return round + "evaluating";
    if (s.at != phase::drafting) return {};
    std::string what = round + "waiting for the LLM (" + plan.prompt_kind;
    if (s.reply > 1) what += ", reply " + std::to_string(s.reply) + "/" + std::to_string(settings_.codegen_attempts);
    return what + ")";
  }
  int drafting = 0, evaluating = 0, queued = 0;
  for (const batch::sample& s : b.samples) {
    drafting += s.at == phase::drafting;
    evaluating += s.at == phase::evaluating;
    queued += s.at == phase::queued || s.at == phase::waiting_for_twin;
  }
  std::string parts;
  const auto add = [&parts](int count, const char* what) {
    if (count == 0) return;
    if (!parts.empty()) parts += ", ";
    parts += std::to_string(count) + " " + what;
  };
  add(drafting, "waiting for the LLM");
  add(evaluating, "evaluating");
  add(queued, "waiting for a GPU");
  if (parts.empty()) return {};
  const int last = plan.round + static_cast<int>(b.samples.size()) - 1;
  return "rounds " + std::to_string(plan.round) + "-" + std::to_string(last) + ": " + parts + " (" + plan.prompt_kind + ")";
}

candidate_identity round_runner::identity_for(int round) const {
  return {.name = safe_name(settings_.model + "_" + task_.name() + "_cuda_r" + std::to_string(round)),
          .definition = task_.name(),
          .author = settings_.model,
          .target_gpu = settings_.target_gpu};
}

result<void> round_runner::record_sample(batch& b, std::size_t index, const round_record* reuse_of) {
  batch::sample& s = b.samples[index];
  s.at = batch::phase::done;
  if (s.draft.stop == call_failure::pause) {
    // No reply yet (a person or tool answers later): nothing is recorded, so a resumed search
    // runs this round again and picks the reply up.
    if (b.out.stop == call_failure::none) {
      b.out.stop = call_failure::pause;
      b.out.stop_reason = s.draft.feedback;
    }
    return {};
  }
  const round_plan& plan = b.plan;
  round_record r;
  r.round = plan.round + static_cast<int>(b.out.records.size());
  r.node_id = plan.node_id;
  r.cycle_start_round = plan.cycle_start_round;
  r.prompt_kind = plan.prompt_kind;
  r.prompt_round = plan.round;
  r.samples = static_cast<int>(b.samples.size());
  r.raw_reply = std::move(s.draft.raw_reply);
  r.usage = s.draft.usage;
  if (s.draft.solution) {
    r.solution = std::move(s.draft.solution);
    r.solution->name = identity_for(r.round).name;  // numbered in the order recorded
    r.solution_id = s.solution_id;
  } else {
    r.evaluation = outcome_without_evaluation(s.draft.status, s.draft.feedback);
  }
  if (s.draft.stop != call_failure::none && b.out.stop != call_failure::fatal) {
    b.out.stop = s.draft.stop;
    b.out.stop_reason = s.draft.feedback;
  }

  if (reuse_of != nullptr) {
    // Point at the round that was measured, not at an earlier reuse of it.
    r.reused_from_round = reuse_of->reused_from_round >= 0 ? reuse_of->reused_from_round : reuse_of->round;
    r.evaluation = reuse_of->evaluation;
    const std::string prefix = "This candidate is identical to the one of round " + std::to_string(r.reused_from_round) +
                               "; it was not evaluated again. ";
    if (!r.evaluation.feedback.starts_with(prefix)) r.evaluation.feedback = prefix + r.evaluation.feedback;
  } else if (s.evaluation) {
    if (*s.evaluation) {
      r.evaluation = std::move(**s.evaluation);
    } else {
      r.evaluation = outcome_without_evaluation(tasks::evaluation_status::harness_error,
                                                "The harness could not evaluate this candidate: " + s.evaluation->error().to_string());
      spdlog::warn("round {}: {}", r.round, r.evaluation.feedback);
    }
  }

  r.time = utc_timestamp();
  const bool new_best = r.score() && (!best_ || *r.score() > *best_->score());
  remember(r);
  b.out.records.push_back(r);
  if (auto done = store_.append_round(r, best_score()); !done) return done;
  if (new_best) {
    if (auto done = store_.save_best(r); !done) return done;
  }
  spdlog::info("{}", progress_line(r, settings_.max_rounds, best_score()));
  return {};
}

result<round_outcome> round_runner::run(const round_plan& plan) {
  using phase = batch::phase;
  using happened = batch::happened;
  batch b(plan, static_cast<std::size_t>(std::max(1, plan.samples)));
  const std::size_t n = b.samples.size();
  step_display step(activity());
  std::optional<error> failed;             // a record could not be written: record nothing more
  std::size_t settled = 0;                 // samples recorded or given up
  int evaluating = 0;
  std::deque<std::size_t> queue;           // drafted, waiting for an evaluation slot
  std::map<std::string, std::size_t> measuring;                // solution id -> the sample measuring it
  std::map<std::size_t, std::vector<std::size_t>> twins;       // sample -> samples with the same code
  std::vector<std::jthread> threads;       // last: joined before anything above goes

  const auto settle = [&](std::size_t i, const round_record* reuse_of) {
    ++settled;
    if (failed) {
      b.samples[i].at = phase::done;
      return;
    }
    if (auto done = record_sample(b, i, reuse_of); !done) failed = done.error();
  };
  // A drafted candidate: recorded at once, reused, parked behind its twin, or queued for a GPU.
  const auto place = [&](std::size_t i) {
    batch::sample& s = b.samples[i];
    if (!s.draft.solution) return settle(i, nullptr);
    s.solution_id = solution_id(*s.draft.solution);
    const round_record* seen = find_solution(s.solution_id);
    if (seen != nullptr && seen->evaluation.status != tasks::evaluation_status::harness_error) return settle(i, seen);
    if (const auto twin = measuring.find(s.solution_id); twin != measuring.end()) {
      s.at = phase::waiting_for_twin;
      twins[twin->second].push_back(i);
      return;
    }
    s.at = phase::queued;
    measuring[s.solution_id] = i;
    queue.push_back(i);
  };

  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([this, &b, i] {
      const auto on_reply_wait = [&b, i](int reply) { b.post({.sample = i, .what = happened::reply_wait, .reply = reply}); };
      b.samples[i].draft = draft_candidate(llm_, b.plan.prompt, identity_for(b.plan.round), settings_.codegen_attempts,
                                           on_reply_wait);
      b.post({.sample = i, .what = happened::drafted});
    });
  }
  step.show(step_text(b));
  while (settled < n) {
    const batch::event e = b.next();
    batch::sample& s = b.samples[e.sample];
    switch (e.what) {
      case happened::reply_wait:
        s.reply = e.reply;
        break;
      case happened::drafted:
        place(e.sample);
        break;
      case happened::evaluated: {
        --evaluating;
        measuring.erase(s.solution_id);
        settle(e.sample, nullptr);
        // Samples with the same code take this evaluation, or are measured themselves when the
        // harness failed on it.
        for (const std::size_t twin : twins[e.sample]) place(twin);
        twins.erase(e.sample);
        break;
      }
    }
    if (failed) {
      settled += queue.size();
      queue.clear();
    }
    std::vector<std::size_t> starting;
    while (evaluating < std::max(1, settings_.parallel_evaluations) && !queue.empty()) {
      starting.push_back(queue.front());
      queue.pop_front();
      b.samples[starting.back()].at = phase::evaluating;
      ++evaluating;
    }
    // The step is shown before an evaluation starts, so the task's detail() lines land inside it.
    step.show(step_text(b));
    for (const std::size_t i : starting) {
      threads.emplace_back([this, &b, i] {
        b.samples[i].evaluation = task_.evaluate(*b.samples[i].draft.solution);
        b.post({.sample = i, .what = happened::evaluated});
      });
    }
  }
  step.show("");
  for (std::jthread& t : threads) t.join();
  if (failed) return std::unexpected(*failed);
  return std::move(b.out);
}

}  // namespace ksearch::search
