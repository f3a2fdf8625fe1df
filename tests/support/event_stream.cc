#include "support/event_stream.h"

#include <cstdio>

namespace ksearch::test_support {

namespace {

[[nodiscard]] std::string http_chunk(std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return std::string(size) + std::string(bytes) + "\r\n";
}

}  // namespace

std::string sse_event(std::string_view data, std::string_view event) {
  std::string text;
  if (!event.empty()) text += "event: " + std::string(event) + "\n";
  text += "data: " + std::string(data) + "\n\n";
  return text;
}

scripted_response event_stream(const std::vector<stream_piece>& pieces, stream_end end,
                               std::chrono::milliseconds stall_for) {
  scripted_response response;
  response.raw_parts.emplace_back(std::chrono::milliseconds(0),
                                  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                  "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  for (const stream_piece& piece : pieces) response.raw_parts.emplace_back(piece.pause, http_chunk(piece.bytes));
  if (end == stream_end::complete) response.raw_parts.emplace_back(std::chrono::milliseconds(0), "0\r\n\r\n");
  // An empty send after the pause: the server waits, then closes (stall), or closes now (hang_up).
  if (end == stream_end::stall) response.raw_parts.emplace_back(stall_for, "");
  return response;
}

}  // namespace ksearch::test_support
