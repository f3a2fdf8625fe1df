#include "ksearch/eval/gpu/activity_ledger.h"

#include <algorithm>

namespace ksearch::eval {

void activity_ledger::add_correlation(std::uint32_t correlation, std::uint64_t external_id) {
  external_of_[correlation] = external_id;
}

void activity_ledger::add_activity(const gpu_activity& activity) { activities_.push_back(activity); }

activity_span activity_ledger::take(std::uint64_t external_id) {
  activity_span span;
  std::vector<gpu_activity> kept;
  for (const gpu_activity& a : activities_) {
    const auto owner = external_of_.find(a.correlation);
    if (owner == external_of_.end()) continue;  // queued outside any timed call
    if (owner->second != external_id) {
      kept.push_back(a);
      continue;
    }
    if (span.activities == 0) {
      span.first_start_ns = a.start_ns;
      span.last_end_ns = a.end_ns;
    } else {
      span.first_start_ns = std::min(span.first_start_ns, a.start_ns);
      span.last_end_ns = std::max(span.last_end_ns, a.end_ns);
    }
    ++span.activities;
  }
  activities_ = std::move(kept);
  std::erase_if(external_of_, [&](const auto& entry) { return entry.second == external_id; });
  return span;
}

}  // namespace ksearch::eval
