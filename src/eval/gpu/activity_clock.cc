#include "ksearch/eval/gpu/activity_clock.h"

#include <cupti.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

namespace ksearch::eval {
namespace {

// The kind of external id the timer pushes; CUSTOM0 is left to applications by CUPTI.
constexpr CUpti_ExternalCorrelationKind call_id_kind = CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0;
// Records are about 200 bytes; a call queues a handful, and each collect() hands back its buffer.
constexpr std::size_t buffer_bytes = std::size_t{1} << 20;
constexpr std::array recorded_kinds = {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMSET,
                                       CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_DRIVER,
                                       CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION};

// CUPTI's callbacks are plain functions: the state they fill is the process's.
struct process_state {
  std::mutex mutex;
  activity_ledger ledger;
  std::atomic<bool> recording{false};
  std::atomic<std::uint64_t> next_id{1};
};

process_state& state() {
  static process_state s;
  return s;
}

std::string cupti_text(CUptiResult status) {
  const char* text = nullptr;
  if (cuptiGetResultString(status, &text) != CUPTI_SUCCESS || text == nullptr) return "CUPTI error " + std::to_string(status);
  return text;
}

std::unexpected<error> cupti_failed(const char* call, CUptiResult status) {
  return fail("CUPTI", std::string(call) + " failed: " + cupti_text(status));
}

// Timestamps and correlation of a record kind that has them; the struct versions are those of the
// headers ksearch is built with, which start() checks the library against.
template <typename Record>
gpu_activity activity_of(const CUpti_Activity* record) {
  const auto* r = reinterpret_cast<const Record*>(record);
  return {r->correlationId, r->start, r->end};
}

void CUPTIAPI buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  *buffer = static_cast<std::uint8_t*>(std::aligned_alloc(8, buffer_bytes));
  *size = *buffer == nullptr ? 0 : buffer_bytes;
  *max_records = 0;  // as many as fit
}

void CUPTIAPI buffer_completed(CUcontext, std::uint32_t, std::uint8_t* buffer, std::size_t, std::size_t valid_bytes) {
  process_state& s = state();
  {
    std::lock_guard lock(s.mutex);
    CUpti_Activity* record = nullptr;
    while (cuptiActivityGetNextRecord(buffer, valid_bytes, &record) == CUPTI_SUCCESS) {
      switch (record->kind) {
        case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
          s.ledger.add_activity(activity_of<CUpti_ActivityKernel10>(record));
          break;
        case CUPTI_ACTIVITY_KIND_MEMSET: s.ledger.add_activity(activity_of<CUpti_ActivityMemset4>(record)); break;
        case CUPTI_ACTIVITY_KIND_MEMCPY: s.ledger.add_activity(activity_of<CUpti_ActivityMemcpy6>(record)); break;
        case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
          const auto* r = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(record);
          if (r->externalKind == call_id_kind) s.ledger.add_correlation(r->correlationId, r->externalId);
          break;
        }
        default: break;  // driver API records: only their external correlations matter
      }
    }
  }
  std::free(buffer);
}

void disable_recorded_kinds() {
  for (CUpti_ActivityKind kind : recorded_kinds) static_cast<void>(cuptiActivityDisable(kind));
}

}  // namespace

result<activity_recording> activity_recording::start() {
  std::uint32_t version = 0;
  if (CUptiResult status = cuptiGetVersion(&version); status != CUPTI_SUCCESS) return cupti_failed("cuptiGetVersion", status);
  if (version != CUPTI_API_VERSION) {
    return fail("CUPTI", "libcupti has API version " + std::to_string(version) + ", ksearch was built against " +
                             std::to_string(CUPTI_API_VERSION) + " (activity record layouts differ)");
  }
  process_state& s = state();
  if (s.recording.exchange(true)) return fail("CUPTI", "another measurement of this process is recording");
  if (CUptiResult status = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed); status != CUPTI_SUCCESS) {
    s.recording = false;
    return cupti_failed("cuptiActivityRegisterCallbacks", status);
  }
  for (CUpti_ActivityKind kind : recorded_kinds) {
    if (CUptiResult status = cuptiActivityEnable(kind); status != CUPTI_SUCCESS) {
      disable_recorded_kinds();
      s.recording = false;
      return cupti_failed("cuptiActivityEnable", status);
    }
  }
  activity_recording recording;
  recording.active_ = true;
  return recording;
}

activity_recording::activity_recording(activity_recording&& other) noexcept : active_(other.active_) {
  other.active_ = false;
}

activity_recording::~activity_recording() {
  if (!active_) return;
  disable_recorded_kinds();
  static_cast<void>(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
  process_state& s = state();
  {
    std::lock_guard lock(s.mutex);
    s.ledger = activity_ledger{};
  }
  s.recording = false;
}

result<std::uint64_t> activity_recording::open_call() {
  const std::uint64_t id = state().next_id++;
  if (CUptiResult status = cuptiActivityPushExternalCorrelationId(call_id_kind, id); status != CUPTI_SUCCESS) {
    return cupti_failed("cuptiActivityPushExternalCorrelationId", status);
  }
  return id;
}

result<void> activity_recording::close_call() {
  if (CUptiResult status = cuptiActivityPopExternalCorrelationId(call_id_kind, nullptr); status != CUPTI_SUCCESS) {
    return cupti_failed("cuptiActivityPopExternalCorrelationId", status);
  }
  return {};
}

result<std::vector<activity_span>> activity_recording::collect(std::span<const std::uint64_t> ids) {
  // The calls' work has finished, so their records are complete: a default flush delivers them.
  if (CUptiResult status = cuptiActivityFlushAll(0); status != CUPTI_SUCCESS) return cupti_failed("cuptiActivityFlushAll", status);
  process_state& s = state();
  std::lock_guard lock(s.mutex);
  std::vector<activity_span> spans;
  spans.reserve(ids.size());
  for (std::uint64_t id : ids) spans.push_back(s.ledger.take(id));
  return spans;
}

}  // namespace ksearch::eval
