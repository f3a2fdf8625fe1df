// tests/support/skipping_cheat.h — an honest solution turned into one that skips the work of
// calls it guesses are not checked, for the timing defences' tests (issue 19).
//
// A gate kernel, launched first in the plan, decides each call; every other kernel of the solution
// returns at once when the gate said skip, so a skipped call writes nothing. The three guesses
// are the ones a timing loop that repeats its inputs and outputs invites:
//   inputs_unchanged       the first input's pointer and first 8 bytes are those of the last call;
//   output_already_right   the first output's first 4 bytes hold neither poison pattern (0xFF,
//                          0x5A), so an earlier call's answer is still there;
//   calls_back_to_back     less than 1 ms (%globaltimer) since the last call ended (a last step
//                          notes the time).
#pragma once

#include <string>

#include "ksearch/eval/eval_request.h"

namespace ksearch::test_support {

enum class skip_when { inputs_unchanged, output_already_right, calls_back_to_back };

[[nodiscard]] const char* to_string(skip_when when);

/// `honest` with the gate in front of its steps; `input` and `output` name the definition's
/// first input and output tensors (each at least 8 bytes).
[[nodiscard]] eval::solution_code skipping_cheat(const eval::solution_code& honest, skip_when when,
                                                 const std::string& input, const std::string& output);

/// The verdict the defences must give a cheat: INCORRECT_NUMERICAL (it skipped and was caught), or
/// a pass at no less than 70% of the honest latency (it found nothing to skip on: fresh inputs,
/// poisoned outputs, calls further apart than it waits for). GoogleTest expectations.
void expect_caught_or_paid(skip_when when, const std::string& status, const std::string& log, double cheat_ms,
                           double honest_ms);

}  // namespace ksearch::test_support
