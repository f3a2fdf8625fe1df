// ksearch/eval/isolation/worker_protocol.h — the wire format between ksearch and a worker process, and the
// worker's serve loop.
//
// Candidates run in a child process (see worker_process.h) because a faulting kernel poisons its
// CUDA context for good and a hung one never returns. Parent and worker exchange newline-delimited
// JSON, one message per line (JSON text escapes newlines inside strings, so a line is a message):
//
//   request  {"id": 7, "type": "measure", ...}
//   reply    {"id": 7, "ok": true,  "result": {...}}
//            {"id": 7, "ok": false, "error": {"subject": "...", "problem": "...", "fix": "..."}}
//
// A message is at most max_worker_message_bytes long (newline excluded); binary payloads must be
// encoded (base64) by the handlers that need them.
//
// The channel is never the worker's own stdout: a kernel's printf and the CUDA runtime write
// there. The parent says which channel to use in the environment variable KSEARCH_WORKER_FDS (or
// the worker command passes the same value on its command line, see open_worker_io):
//   "R,W"    two inherited pipe descriptors: requests are read from R, replies written to W. The
//            worker's stdout and stderr are the parent's capture pipe; stdin is /dev/null.
//   "stdio"  for launcher prefixes that cannot pass descriptors (`ssh host ksearch __worker
//            --protocol stdio`, `srun -u ...`): requests arrive on stdin and replies leave on
//            stdout; the worker then points its fd 1 at its stderr, so anything else printed to
//            stdout ends up in the captured stderr, never in the protocol stream. ssh does not
//            forward the environment, hence the command-line form.
//
// Thread-safety: frame_reader is a plain value (one owner). serve_worker runs the handlers on the
// calling thread, one request at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"

namespace ksearch::eval {

/// A message of the protocol. Keys keep the order they were written in: a request carries a
/// definition, whose inputs' order is the kernel's call signature (ksearch/common/json.h).
using worker_message = ordered_json;

/// Bumped on any incompatible change to the framing or the built-in messages; ping reports it and
/// the parent checks it. The PyTorch oracle (tasks/oracle/oracle_server.py) speaks it too.
inline constexpr int worker_protocol_version = 1;
/// Largest message either side accepts (bytes, newline excluded).
inline constexpr std::size_t max_worker_message_bytes = std::size_t{256} << 20;
/// Environment variable the parent sets to "R,W" or "stdio".
inline constexpr const char* worker_channel_env = "KSEARCH_WORKER_FDS";

/// serve_worker's return values, meant to be the worker process's exit code.
inline constexpr int worker_exit_eof = 0;        // the parent closed the request channel
inline constexpr int worker_exit_protocol = 3;   // a request the stream cannot recover from
inline constexpr int worker_exit_io = 4;         // reading or writing the channel failed
inline constexpr int worker_exit_orphaned = 5;   // the parent went away while a handler ran

/// The worker's ends of the protocol channel; serve_worker owns and closes them.
struct worker_io {
  int read_fd = -1;   // requests come in here
  int write_fd = -1;  // replies go out here
};

/// Claims the protocol channel in the worker. `spec` is "R,W" or "stdio" (as in the header
/// comment); empty means "read it from KSEARCH_WORKER_FDS". Call it before anything writes to
/// stdout: in stdio mode it moves the protocol off fds 0 and 1, gives fd 0 /dev/null and makes fd 1
/// a copy of fd 2. The descriptors it returns are close-on-exec (a subprocess a handler starts
/// cannot write into the stream), and KSEARCH_WORKER_FDS is removed from the environment. Not
/// thread-safe (it edits the environment and the descriptor table): call it first thing in main.
[[nodiscard]] result<worker_io> open_worker_io(std::string_view spec = {});

/// Splits a byte stream into lines, refusing a line longer than its limit. Lines come out without
/// their '\n'. Cost is linear in the bytes appended.
class frame_reader {
 public:
  explicit frame_reader(std::size_t max_line_bytes = max_worker_message_bytes);

  /// Adds bytes read from the stream. Fails (and keeps failing) once a line exceeds the limit:
  /// the stream cannot be resynchronised.
  [[nodiscard]] result<void> append(std::string_view bytes);
  /// The next complete line, or nothing until more bytes arrive.
  [[nodiscard]] std::optional<std::string> next();
  /// Bytes held that do not yet form a complete line.
  [[nodiscard]] std::size_t partial_bytes() const { return pending_line_bytes_; }

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;            // buffer_[0, consumed_) was handed out already
  std::size_t complete_lines_ = 0;      // '\n's in buffer_ past consumed_
  std::size_t pending_line_bytes_ = 0;  // bytes after the last '\n'
  std::size_t max_line_bytes_;
  bool overflowed_ = false;
};

/// One message as a line: compact JSON plus '\n'. Invalid UTF-8 in strings (say, garbage a kernel
/// printed) is replaced by U+FFFD rather than failing. Errors when the text exceeds `max_bytes`.
[[nodiscard]] result<std::string> encode_frame(const worker_message& message,
                                               std::size_t max_bytes = max_worker_message_bytes);
/// Parses one line (without its '\n'); the error quotes the start of the line and the parser's
/// complaint.
[[nodiscard]] result<worker_message> decode_frame(std::string_view line);

/// {"subject": ..., "problem": ..., "fix": ...} and back; missing fields read as empty.
[[nodiscard]] worker_message error_to_json(const error& e);
[[nodiscard]] error error_from_json(const worker_message& j);

/// Handles one request (the whole message, "id" and "type" included). An error value becomes an
/// {"ok": false} reply; so does an exception, which serve_worker catches. Either way the worker
/// keeps serving.
using worker_handler = std::function<result<worker_message>(const worker_message& request)>;

/// The worker's main loop: reads requests until the parent closes the channel and answers each
/// with its handler's result, in order. Built in: "ping", which answers {"pid", "version",
/// "protocol"} (the handler map must not contain "ping": that is a setup bug and throws
/// std::invalid_argument). An unknown type, a line that is not JSON, or a message without an
/// integer "id" or string "type" is answered with an error ("id": null when unreadable) and the
/// loop goes on; a line over the size limit ends it (worker_exit_protocol).
///
/// Process-wide effects, acceptable because the worker process exists for this loop: core dumps
/// are switched off (RLIMIT_CORE = 0; a crashing candidate would otherwise dump a GPU-mapped
/// address space), and a watchdog thread ends the process (worker_exit_orphaned) when the parent
/// closes the request channel while a handler is still running — say, the search was killed while
/// a kernel hangs — so an orphan never holds a GPU. Returns one of the worker_exit_* codes; the
/// descriptors in `io` are closed on return.
[[nodiscard]] int serve_worker(worker_io io, const std::map<std::string, worker_handler>& handlers);

}  // namespace ksearch::eval
