// ksearch/llm/streaming_http.h — an HTTP request whose response body is handed over as it arrives.
//
// For streamed (SSE) LLM replies: a long generation trickles in for minutes, and a connection
// that silently stops delivering must be noticed long before the total timeout. The transfer is
// therefore aborted when no byte arrives for `stall_timeout` (headers included), and reported as
// a timeout that names the stall.
//
// A 2xx body goes to the caller's sink piece by piece; any other status's body is collected into
// the returned response (it is an error document to quote, not a stream). Everything else works
// as http_client::perform: a transport failure is an error value with curl's message, redirects
// are returned, not followed, and curl_global_init must have run (main owns a curl_global).
//
// Each call uses its own curl handle: a stream is long, so reusing a connection saves nothing.
//
// Thread-safety: calls are independent; the sink runs on the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "ksearch/common/error.h"
#include "ksearch/llm/http_client.h"

namespace ksearch::llm {

/// Receives each piece of a 2xx body; return false to stop the transfer early (not an error).
using body_sink = std::function<bool(std::string_view piece)>;

/// Performs `request` (GET or POST) with a stall watchdog. `stall_timeout` of zero disables it.
/// The returned response has status, headers and elapsed_s; its body is empty for 2xx (it went to
/// `on_data`). Errors: as http_client::perform; a stall fails with transport_failure::timeout and
/// a problem saying how long nothing arrived.
[[nodiscard]] result<http_response> perform_streaming(const http_request& request, const body_sink& on_data,
                                                      std::chrono::milliseconds stall_timeout,
                                                      transport_failure* failure = nullptr);

}  // namespace ksearch::llm
