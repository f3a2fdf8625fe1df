#include "ksearch/eval/gpu/timing_clock.h"

namespace ksearch::eval {

std::string_view to_string(timing_clock clock) { return clock == timing_clock::cupti ? "cupti" : "events"; }

result<timing_clock> parse_timing_clock(std::string_view text, const std::string& subject) {
  if (text == "cupti") return timing_clock::cupti;
  if (text == "events") return timing_clock::cuda_events;
  return fail(subject, "unknown clock '" + std::string(text) + "'", "use cupti or events");
}

}  // namespace ksearch::eval
