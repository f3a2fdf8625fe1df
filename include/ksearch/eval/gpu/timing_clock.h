// ksearch/eval/gpu/timing_clock.h — which clock a timed call is read with.
//
//   cupti        GPU timestamps of the work the call queued (CUPTI activity records): from the
//                start of its first kernel, memset or copy to the end of its last, gaps between
//                them included. What FlashInfer-Bench times with since 2026-02-24
//                (bench_gpu_time_with_cupti). On an H200 it reads a kernel 1.1 us longer than
//                its known length, Nsight Compute's gpu__time_duration 1.8 us (bench/README.md).
//   cuda_events  a CUDA event before and after the call on its stream: the same span plus the
//                front end's latency in reaching the first kernel (3.4 us longer there).
//                What GPUMode's eval.py, KernelBench and Triton's do_bench time with.
// The timer falls back from cupti to cuda_events when CUPTI is unavailable (another profiler
// holds it, or the library is not the one ksearch was built with), and says so in the summary.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/common/error.h"

namespace ksearch::eval {

enum class timing_clock { cupti, cuda_events };

/// "cupti" or "events", the spelling of --timer and of the JSON records.
[[nodiscard]] std::string_view to_string(timing_clock clock);
/// Error: anything else (subject: `subject`, e.g. "--timer").
[[nodiscard]] result<timing_clock> parse_timing_clock(std::string_view text, const std::string& subject);

}  // namespace ksearch::eval
