// ksearch/search/activity.h — where the search says what it is waiting for.
//
// A round spends its time in a few long steps: the LLM's reply (seconds to minutes), the
// candidate's compilation and its evaluation workload by workload. The search and the task report
// those steps to an activity_observer, so a front end can show them while they last (the CLI's
// status line on a terminal, cli/terminal_status.h). Reporting is not logging: nothing reported
// here is recorded, and an observer may ignore all of it.
//
// One step is active at a time; steps do not nest:
//   begin(what)     a step starts: "round 3: waiting for the LLM (debug)", "round 3: evaluating"
//   detail(text)    how far the active step is: "compiling", "workload 2/5 <uuid>"; replaces the
//                   previous detail; ignored when no step is active
//   end()           the step is over (whatever its outcome)
// activity_step pairs begin() and end() for a scope, so an early return cannot leave a step open.
//
// Settings structs hold an observer by pointer, &no_activity() by default: never null.
//
// Thread-safety: begin() and end() come from the search's thread; detail() may come from any
// thread, several at once: the search evaluates a round's candidates concurrently and each
// evaluation reports its progress from its own thread. An observer with state locks it
// (terminal_status does); quiet_activity has none.
#pragma once

#include <string_view>

namespace ksearch::search {

class activity_observer {
 public:
  virtual ~activity_observer() = default;
  virtual void begin(std::string_view what) = 0;
  virtual void detail(std::string_view text) = 0;
  virtual void end() = 0;
};

/// Ignores everything: the default observer, and what tests and batch front ends use.
class quiet_activity final : public activity_observer {
 public:
  void begin(std::string_view) override {}
  void detail(std::string_view) override {}
  void end() override {}
};

/// One process-wide quiet_activity (it has no state).
[[nodiscard]] activity_observer& no_activity();

/// begin(what) on construction, end() on destruction.
class activity_step {
 public:
  activity_step(activity_observer& observer, std::string_view what) : observer_(observer) { observer_.begin(what); }
  ~activity_step() { observer_.end(); }
  activity_step(const activity_step&) = delete;
  activity_step& operator=(const activity_step&) = delete;

 private:
  activity_observer& observer_;
};

}  // namespace ksearch::search
