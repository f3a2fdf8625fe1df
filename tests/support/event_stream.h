// Test support: scripted streamed (SSE) replies for the loopback HTTP server.
//
// A streamed LLM reply is a 200 with "Content-Type: text/event-stream" and a chunked body whose
// chunks arrive over time. event_stream() builds the scripted_response::raw_parts for one: the
// head, then one HTTP chunk per piece (each after its own pause), then the last chunk, unless
// the script says the server should stall or hang up instead.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/loopback_http_server.h"

namespace ksearch::test_support {

/// One piece of a stream: wait `pause`, then send `bytes` as one HTTP chunk.
struct stream_piece {
  std::chrono::milliseconds pause{0};
  std::string bytes;
};

/// How the stream ends after its pieces.
enum class stream_end {
  complete,  // the terminating zero-length chunk, then the connection closes
  hang_up,   // the connection closes without the terminating chunk
  stall,     // nothing more for `stall_for`, then the connection closes
};

/// "event: <event>\n" (when given) + "data: <data>\n\n".
[[nodiscard]] std::string sse_event(std::string_view data, std::string_view event = {});

/// A 200 text/event-stream response made of `pieces`.
[[nodiscard]] scripted_response event_stream(const std::vector<stream_piece>& pieces,
                                             stream_end end = stream_end::complete,
                                             std::chrono::milliseconds stall_for = std::chrono::milliseconds(10'000));

}  // namespace ksearch::test_support
