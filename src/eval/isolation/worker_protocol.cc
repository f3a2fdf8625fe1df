#include "ksearch/eval/isolation/worker_protocol.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/common/posix.h"

namespace ksearch::eval {

namespace {

std::string describe_size(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  return std::to_string(bytes) + " bytes";
}

// The start of a line for an error message: enough to recognise it, never megabytes.
std::string quote_start(std::string_view line) {
  constexpr std::size_t shown = 80;
  std::string text(line.substr(0, shown));
  if (line.size() > shown) text += "...";
  return "\"" + text + "\"";
}

// ---- open_worker_io -------------------------------------------------------------------------

result<int> parse_fd(std::string_view text, std::string_view spec) {
  int fd = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc() || end != text.data() + text.size() || fd < 0) {
    return fail(worker_channel_env, "\"" + std::string(spec) + "\" is not \"R,W\" (two descriptor numbers) or \"stdio\"",
                "let worker_process start the worker, or pass --protocol stdio");
  }
  if (::fcntl(fd, F_GETFD) == -1) {
    return fail(worker_channel_env, "descriptor " + std::to_string(fd) + " from \"" + std::string(spec) +
                                        "\" is not open in this process",
                "a launcher in between (ssh, srun) does not pass descriptors: use the stdio channel");
  }
  return fd;
}

result<worker_io> claim_inherited_fds(std::string_view spec) {
  const std::size_t comma = spec.find(',');
  if (comma == std::string_view::npos) {
    return fail(worker_channel_env, "\"" + std::string(spec) + "\" is not \"R,W\" (two descriptor numbers) or \"stdio\"",
                "let worker_process start the worker, or pass --protocol stdio");
  }
  auto read_fd = parse_fd(spec.substr(0, comma), spec);
  if (!read_fd) return std::unexpected(read_fd.error());
  auto write_fd = parse_fd(spec.substr(comma + 1), spec);
  if (!write_fd) return std::unexpected(write_fd.error());
  if (*read_fd == *write_fd) {
    return fail(worker_channel_env, "\"" + std::string(spec) + "\" names the same descriptor twice");
  }
  for (const int fd : {*read_fd, *write_fd}) {
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return fail("fcntl(F_SETFD)", errno_text(errno));
  }
  return worker_io{*read_fd, *write_fd};
}

// Moves the protocol off fds 0 and 1 so that whatever else the process prints (kernel printf, the
// CUDA runtime, a handler's stray std::cout) reaches stderr and cannot corrupt the stream.
result<worker_io> claim_stdio() {
  std::fflush(stdout);
  unique_fd read_fd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
  if (!read_fd) return fail("fcntl(stdin, F_DUPFD_CLOEXEC)", errno_text(errno));
  unique_fd write_fd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
  if (!write_fd) return fail("fcntl(stdout, F_DUPFD_CLOEXEC)", errno_text(errno));
  unique_fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const bool stdin_replaced = null_fd && ::dup2(null_fd.get(), STDIN_FILENO) == STDIN_FILENO;
  const int saved = errno;
  null_fd.reset();
  if (!stdin_replaced || ::dup2(STDERR_FILENO, STDOUT_FILENO) != STDOUT_FILENO) {
    const int reason = stdin_replaced ? errno : saved;
    return fail(stdin_replaced ? "dup2(stderr, stdout)" : "dup2(/dev/null, stdin)", errno_text(reason));
  }
  return worker_io{read_fd.release(), write_fd.release()};
}

// ---- serve_worker ---------------------------------------------------------------------------

worker_message reply_ok(const worker_message& id, worker_message result_value) {
  return worker_message{{"id", id}, {"ok", true}, {"result", std::move(result_value)}};
}

worker_message reply_error(const worker_message& id, const error& e) {
  return worker_message{{"id", id}, {"ok", false}, {"error", error_to_json(e)}};
}

std::string known_types(const std::map<std::string, worker_handler>& handlers) {
  std::string names = "ping";
  for (const auto& entry : handlers) names += ", " + entry.first;
  return names;
}

worker_message answer(std::string_view line, const std::map<std::string, worker_handler>& handlers) {
  auto message = decode_frame(line);
  if (!message) return reply_error(nullptr, message.error());
  if (!message->is_object()) {
    return reply_error(nullptr, error{"worker request " + quote_start(line), "is not a JSON object", ""});
  }
  const worker_message id = message->contains("id") ? (*message)["id"] : worker_message();
  if (!id.is_number_integer()) {
    return reply_error(nullptr, error{"worker request.id", "missing or not an integer", ""});
  }
  const auto type_field = message->find("type");
  if (type_field == message->end() || !type_field->is_string()) {
    return reply_error(id, error{"worker request " + id.dump() + ".type", "missing or not a string", ""});
  }
  const std::string type = type_field->get<std::string>();
  const std::string subject = "worker request " + id.dump() + " '" + type + "'";

  if (type == "ping") {
    return reply_ok(id, worker_message{{"pid", ::getpid()},
                             {"version", std::string("ksearch ") + KSEARCH_VERSION},
                             {"protocol", worker_protocol_version}});
  }
  const auto handler = handlers.find(type);
  if (handler == handlers.end()) {
    return reply_error(id, error{subject, "unknown request type", "known types: " + known_types(handlers)});
  }
  try {
    auto outcome = handler->second(*message);
    if (!outcome) return reply_error(id, outcome.error());
    return reply_ok(id, std::move(*outcome));
  } catch (const std::exception& e) {
    return reply_error(id, error{subject, std::string("the handler threw: ") + e.what(), ""});
  } catch (...) {
    return reply_error(id, error{subject, "the handler threw a non-standard exception", ""});
  }
}

// Ends the worker process when its parent closes the request channel while the main thread is busy
// in a handler (a hung kernel never returns to read the EOF). An idle loop sees the EOF itself and
// stops the watchdog, which waits a little before acting so that path wins.
class orphan_watchdog {
 public:
  explicit orphan_watchdog(int request_fd) {
    auto stop = make_pipe();
    if (!stop) throw std::runtime_error(stop.error().to_string());
    stop_ = std::move(*stop);
    thread_ = std::thread(&orphan_watchdog::watch, request_fd, stop_.read.get());
  }
  ~orphan_watchdog() {
    (void)write_all(stop_.write.get(), std::string_view("\0", 1));
    thread_.join();
  }
  orphan_watchdog(const orphan_watchdog&) = delete;
  orphan_watchdog& operator=(const orphan_watchdog&) = delete;

 private:
  static constexpr int grace_ms = 500;

  static void watch(int request_fd, int stop_fd) {
    // events = 0: only the hang-up of the writer (the parent) or an error wakes us, never data.
    pollfd fds[2] = {{request_fd, 0, 0}, {stop_fd, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) break;
      if ((fds[0].revents & POLLNVAL) != 0) return;
    }
    pollfd stop{stop_fd, POLLIN, 0};
    while (::poll(&stop, 1, grace_ms) < 0 && errno == EINTR) {
    }
    if (stop.revents == 0) ::_exit(worker_exit_orphaned);
  }

  pipe_ends stop_;
  std::thread thread_;
};

void disable_core_dumps() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_CORE, &limit) == 0) {
    limit.rlim_cur = 0;
    ::setrlimit(RLIMIT_CORE, &limit);
  }
}

int serve_loop(worker_io io, const std::map<std::string, worker_handler>& handlers) {
  frame_reader reader;
  std::string chunk(std::size_t{1} << 16, '\0');
  for (;;) {
    while (auto line = reader.next()) {
      worker_message reply = answer(*line, handlers);
      auto frame = encode_frame(reply);
      if (!frame) {
        // Only a handler's result can be this large; tell the parent instead of the result.
        frame = encode_frame(reply_error(reply["id"], error{"worker reply to request " + reply["id"].dump(),
                                                            frame.error().problem,
                                                            "return less data in one reply"}));
      }
      if (!frame || !write_all(io.write_fd, *frame)) return worker_exit_io;
    }
    const ssize_t n = ::read(io.read_fd, chunk.data(), chunk.size());
    if (n == 0) return worker_exit_eof;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd in{io.read_fd, POLLIN, 0};
        ::poll(&in, 1, -1);
        continue;
      }
      return worker_exit_io;
    }
    if (auto appended = reader.append(std::string_view(chunk.data(), static_cast<std::size_t>(n))); !appended) {
      (void)write_all(io.write_fd, *encode_frame(reply_error(nullptr, appended.error())));
      return worker_exit_protocol;
    }
  }
}

}  // namespace

result<worker_io> open_worker_io(std::string_view spec) {
  std::string value(spec);
  if (value.empty()) {
    const char* from_env = std::getenv(worker_channel_env);
    if (from_env == nullptr || *from_env == '\0') {
      return fail(worker_channel_env, "not set: this process was not started as a ksearch worker",
                  "start it through worker_process, or pass the channel on the command line (\"R,W\" or \"stdio\")");
    }
    value = from_env;
  }
  auto io = value == "stdio" ? claim_stdio() : claim_inherited_fds(value);
  if (io) ::unsetenv(worker_channel_env);  // a process a handler starts is not a worker
  return io;
}

frame_reader::frame_reader(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

result<void> frame_reader::append(std::string_view bytes) {
  const auto overflow = [this] {
    return fail("worker message", "longer than the " + describe_size(max_line_bytes_) +
                                      " limit (no newline within that many bytes)",
                "send large data in smaller pieces");
  };
  if (overflowed_) return overflow();
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t newline = bytes.find('\n', pos);
    const std::size_t end = newline == std::string_view::npos ? bytes.size() : newline;
    pending_line_bytes_ += end - pos;
    if (pending_line_bytes_ > max_line_bytes_) {
      overflowed_ = true;
      return overflow();
    }
    if (newline == std::string_view::npos) break;
    ++complete_lines_;
    pending_line_bytes_ = 0;
    pos = newline + 1;
  }
  buffer_.append(bytes);
  return {};
}

std::optional<std::string> frame_reader::next() {
  if (complete_lines_ == 0) return std::nullopt;
  const std::size_t newline = buffer_.find('\n', consumed_);
  std::string line = buffer_.substr(consumed_, newline - consumed_);
  consumed_ = newline + 1;
  --complete_lines_;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return line;
}

result<std::string> encode_frame(const worker_message& message, std::size_t max_bytes) {
  std::string text = message.dump(-1, ' ', false, worker_message::error_handler_t::replace);
  if (text.size() > max_bytes) {
    return fail("worker message", std::to_string(text.size()) + " bytes, over the " + describe_size(max_bytes) + " limit",
                "send large data in smaller pieces");
  }
  text += '\n';
  return text;
}

result<worker_message> decode_frame(std::string_view line) {
  try {
    return worker_message::parse(line);
  } catch (const worker_message::parse_error& e) {
    return fail("worker message " + quote_start(line), std::string("not JSON: ") + e.what());
  }
}

worker_message error_to_json(const error& e) {
  return worker_message{{"subject", e.subject}, {"problem", e.problem}, {"fix", e.fix}};
}

error error_from_json(const worker_message& j) {
  const auto field = [&j](const char* name) {
    if (!j.is_object()) return std::string();
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return error{field("subject"), field("problem"), field("fix")};
}

int serve_worker(worker_io io, const std::map<std::string, worker_handler>& handlers) {
  if (handlers.contains("ping")) throw std::invalid_argument("serve_worker: \"ping\" is built in; do not register it");
  for (const auto& [type, handler] : handlers) {
    if (!handler) throw std::invalid_argument("serve_worker: handler \"" + type + "\" is empty");
  }
  const unique_fd read_end(io.read_fd);  // closed on return, after the watchdog has stopped
  const unique_fd write_end(io.write_fd);
  disable_core_dumps();
  orphan_watchdog watchdog(io.read_fd);
  return serve_loop(io, handlers);
}

}  // namespace ksearch::eval
