// Implementation notes.
//
// One call is one poll() loop over up to four descriptors, until a reply line is complete or the
// deadline passes:
//   request pipe (POLLOUT)  the encoded request, written in non-blocking pieces (a child that hangs
//                           before reading a large request cannot block the parent);
//   reply pipe (POLLIN)     bytes fed to a frame_reader, at most one message per call;
//   output pipe (POLLIN)    the child's stdout+stderr, into the ring buffer (drained in bounded
//                           slices so a child printing without pause cannot starve the deadline);
//   pidfd (POLLIN)          the child's exit, noticed even when a grandchild still holds the pipes.
// Without pidfd_open (kernels before 5.3, some sandboxes) the loop wakes every poll_tick_ms and asks
// waitid(WNOWAIT) instead.
//
// Ending a child always goes: wait (for a grace period, or not at all) -> SIGKILL its process group
// -> waitpid. The group is killed while the child is not yet reaped, so its pid, which is the group
// id, cannot have been reused by then.
#include "ksearch/eval/isolation/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>  // sigabbrev_np, sigdescr_np
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/common/posix.h"
#include "ksearch/common/subprocess.h"

extern char** environ;

namespace ksearch::eval {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t read_chunk_bytes = std::size_t{1} << 16;
constexpr std::size_t output_slice_bytes = std::size_t{1} << 20;  // per wake-up
constexpr std::size_t reply_slice_bytes = std::size_t{8} << 20;   // per wake-up
constexpr std::size_t final_drain_bytes = std::size_t{16} << 20;  // after the group is dead
constexpr std::size_t protocol_pipe_bytes = std::size_t{1} << 20; // F_SETPIPE_SZ, best effort
constexpr int poll_tick_ms = 20;                                  // only without a pidfd
constexpr int request_fd_in_child = 3;
constexpr int reply_fd_in_child = 4;

std::string signal_name(int number) {
  const char* abbreviation = sigabbrev_np(number);
  return abbreviation != nullptr ? std::string("SIG") + abbreviation : "signal " + std::to_string(number);
}

/// The last `capacity` bytes written to it. Appends are amortised O(1): the text is trimmed only
/// once it holds twice the capacity.
class output_ring {
 public:
  explicit output_ring(std::size_t capacity) : capacity_(capacity) {}

  void append(std::string_view bytes) {
    if (capacity_ == 0) return;
    if (bytes.size() >= capacity_) {
      data_.assign(bytes.substr(bytes.size() - capacity_));
      return;
    }
    data_.append(bytes);
    if (data_.size() > 2 * capacity_) data_.erase(0, data_.size() - capacity_);
  }

  [[nodiscard]] std::string tail() const {
    std::string_view view = data_;
    if (view.size() > capacity_) view.remove_prefix(view.size() - capacity_);
    std::size_t skip = 0;  // UTF-8 continuation bytes (10xxxxxx) left over from a cut character
    while (skip < 3 && skip < view.size() && (static_cast<unsigned char>(view[skip]) & 0xC0) == 0x80) ++skip;
    return std::string(view.substr(skip));
  }

  void clear() { data_.clear(); }

 private:
  std::size_t capacity_;
  std::string data_;
};

struct child_end {
  bool known = false;     // false when someone else reaped the child (SIGCHLD ignored, waitpid(-1))
  int code = -1;          // exited normally with this code
  int signal = 0;         // or was killed by this signal
  bool killed_by_us = false;

  static child_end from(const std::optional<exit_status>& status) {
    return status ? child_end{true, status->code, status->signal, false} : child_end{};
  }

  [[nodiscard]] std::string describe() const {
    if (!known) return "ended with an unknown status (it was reaped elsewhere)";
    if (signal != 0) {
      const char* text = sigdescr_np(signal);
      return "was killed by " + signal_name(signal) + (text != nullptr ? std::string(" (") + text + ")" : "");
    }
    return "exited with code " + std::to_string(code);
  }
};

int open_pidfd(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // always close-on-exec
#else
  (void)pid;
  return -1;
#endif
}

int remaining_ms(steady::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - steady::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 24LL * 3600 * 1000));
}

std::vector<std::string> child_environment(const worker_options& options, const std::string& channel_value) {
  std::set<std::string> replaced(options.unset_env.begin(), options.unset_env.end());
  for (const auto& entry : options.env) replaced.insert(entry.first);
  replaced.insert(worker_channel_env);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (!replaced.contains(std::string(entry.substr(0, entry.find('='))))) env.emplace_back(entry);
  }
  for (const auto& [name, value] : options.env) {
    if (std::find(options.unset_env.begin(), options.unset_env.end(), name) == options.unset_env.end()) {
      env.push_back(name + "=" + value);
    }
  }
  env.push_back(std::string(worker_channel_env) + "=" + channel_value);
  return env;
}

}  // namespace

std::string_view to_string(worker_failure kind) {
  switch (kind) {
    case worker_failure::start_failed: return "start_failed";
    case worker_failure::timeout: return "timeout";
    case worker_failure::crashed: return "crashed";
    case worker_failure::protocol: return "protocol";
    case worker_failure::handler_error: return "handler_error";
  }
  return "unknown";
}

std::string worker_error::to_string() const {
  std::string text = detail.to_string();
  if (!output_tail.empty()) {
    text += "\n--- worker output, last " + std::to_string(output_tail.size()) + " bytes ---\n" + output_tail;
  }
  return text;
}

struct worker_process::state {
  worker_options options;
  int pid = 0;
  unique_fd pidfd;
  unique_fd request_fd;  // parent's write end, non-blocking
  unique_fd reply_fd;    // parent's read end, non-blocking
  unique_fd output_fd;   // parent's read end of the child's stdout+stderr (stderr only with stdio)
  frame_reader replies;
  output_ring output;
  std::string scratch = std::string(read_chunk_bytes, '\0');
  std::int64_t next_id = 1;
  int restarts = 0;
  bool healthy = false;  // started, answered ping, no failure since

  explicit state(worker_options o)
      : options(std::move(o)), replies(options.max_message_bytes), output(options.output_tail_bytes) {}
  ~state() { shut_down(); }
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  [[nodiscard]] std::string name() const {
    return "worker `" + (options.argv.empty() ? std::string() : options.argv.front()) + "`";
  }
  [[nodiscard]] std::string request_subject(std::int64_t id, const std::string& type) const {
    return "worker pid " + std::to_string(pid) + ", request " + std::to_string(id) + " '" + type + "'";
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  worker_result<void> launch() {
    output.clear();
    if (auto spawned = spawn(); !spawned) return spawned;
    auto pinged = handshake();
    if (!pinged) terminate(milliseconds(0));
    return pinged;
  }

  worker_result<void> spawn() {
    const auto start_failure = [](error e) {
      return std::unexpected(worker_error{worker_failure::start_failed, std::move(e), "", -1, 0});
    };
    if (options.argv.empty() || options.argv.front().empty()) {
      return start_failure({"worker_options.argv", "is empty", "name the worker command"});
    }
    std::error_code ec;
    if (!options.working_dir.empty() && !std::filesystem::is_directory(options.working_dir, ec)) {
      return start_failure({"worker_options.working_dir", options.working_dir.string() + " is not a folder"});
    }

    // Step 1: the pipes. Parent ends stay close-on-exec and become non-blocking.
    auto request_pipe = make_pipe();
    if (!request_pipe) return start_failure(request_pipe.error());
    auto reply_pipe = make_pipe();
    if (!reply_pipe) return start_failure(reply_pipe.error());
    auto output_pipe = make_pipe();
    if (!output_pipe) return start_failure(output_pipe.error());
    for (const unique_fd* end : {&request_pipe->write, &reply_pipe->read, &output_pipe->read}) {
      if (auto set = set_nonblocking(end->get()); !set) return start_failure(set.error());
    }
    for (const unique_fd* end : {&request_pipe->write, &reply_pipe->read}) {
      (void)::fcntl(end->get(), F_SETPIPE_SZ, static_cast<int>(protocol_pipe_bytes));  // fewer wake-ups for big messages
    }

    // Step 2: spawn, with the channel on fixed descriptors and nothing else inherited.
    const bool stdio = options.channel == worker_channel::stdio;
    spawn_options spawn{.argv = options.argv, .working_dir = options.working_dir};
    if (stdio) {
      spawn.fds = {{STDIN_FILENO, request_pipe->read.get()},
                   {STDOUT_FILENO, reply_pipe->write.get()},
                   {STDERR_FILENO, output_pipe->write.get()}};
    } else {
      spawn.fds = {{STDOUT_FILENO, output_pipe->write.get()},
                   {STDERR_FILENO, output_pipe->write.get()},
                   {request_fd_in_child, request_pipe->read.get()},
                   {reply_fd_in_child, reply_pipe->write.get()}};
    }
    const std::string channel_value =
        stdio ? std::string("stdio")
              : std::to_string(request_fd_in_child) + "," + std::to_string(reply_fd_in_child);
    spawn.env = child_environment(options, channel_value);
    auto child = spawn_process(spawn);
    request_pipe->read.reset();
    reply_pipe->write.reset();
    output_pipe->write.reset();
    if (!child) {
      error e = child.error();
      if (!e.fix.empty()) e.fix = "check the worker command's path";
      return start_failure(std::move(e));
    }
    pid = *child;
    pidfd.reset(open_pidfd(pid));
    request_fd = std::move(request_pipe->write);
    reply_fd = std::move(reply_pipe->read);
    output_fd = std::move(output_pipe->read);
    replies = frame_reader(options.max_message_bytes);
    spdlog::debug("started {} as pid {}", name(), pid);
    return {};
  }

  worker_result<void> handshake() {
    const std::int64_t id = next_id;
    auto reply = exchange(worker_message{{"type", "ping"}}, name() + ", ping", options.start_timeout);
    const auto start_failure = [this](std::string problem, worker_error e) {
      e.kind = worker_failure::start_failed;
      e.detail.subject = name();
      e.detail.problem = std::move(problem);
      return std::unexpected(std::move(e));
    };
    if (!reply) return start_failure("did not answer ping: " + reply.error().detail.problem, reply.error());
    const worker_message protocol = reply->is_object() ? reply->value("protocol", worker_message()) : worker_message();
    if (protocol != worker_message(worker_protocol_version)) {
      return start_failure("answered ping (request " + std::to_string(id) + ") with protocol " + protocol.dump() +
                               ", expected " + std::to_string(worker_protocol_version),
                           worker_error{worker_failure::start_failed, error{name(), "", "run the same ksearch version on both sides"},
                                        output.tail(), -1, 0});
    }
    healthy = true;
    return {};
  }

  /// Closes the request channel (the worker's loop sees EOF) and ends the child.
  void shut_down() noexcept {
    request_fd.reset();
    terminate(options.exit_grace);
  }

  /// Waits up to `grace` for the child to exit by itself, then SIGKILLs its process group, reaps
  /// it, collects the rest of its output and closes everything. The worker is dead afterwards.
  child_end terminate(milliseconds grace) noexcept {
    child_end status;
    if (pid != 0) {
      const bool exited_alone = wait_for_exit(steady::now() + grace);
      status = child_end::from(kill_group_and_reap(pid));
      status.killed_by_us = !exited_alone;
      spdlog::debug("{} (pid {}) {}", name(), pid, status.describe());
    }
    drain_output(final_drain_bytes);
    pidfd.reset();
    request_fd.reset();
    reply_fd.reset();
    output_fd.reset();
    pid = 0;
    healthy = false;
    return status;
  }

  /// Has the child exited (reaped or not)? Prefers the pidfd, which stays right even when SIGCHLD
  /// is ignored and the kernel reaps the child itself.
  bool exited_now() const {
    if (pidfd) {
      pollfd exit_poll{pidfd.get(), POLLIN, 0};
      return ::poll(&exit_poll, 1, 0) > 0;
    }
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
    return info.si_pid == pid;
  }

  /// True once the child has exited (it is not reaped); false at the deadline. Drains output
  /// meanwhile, since a child blocked writing into a full pipe cannot exit.
  bool wait_for_exit(steady::time_point deadline) {
    for (;;) {
      if (!pidfd && exited_now()) return true;
      pollfd fds[2];
      nfds_t count = 0;
      if (pidfd) fds[count++] = {pidfd.get(), POLLIN, 0};
      if (output_fd) fds[count++] = {output_fd.get(), POLLIN, 0};
      const int left = remaining_ms(deadline);
      const int ready = ::poll(fds, count, pidfd ? left : std::min(left, poll_tick_ms));
      if (ready < 0 && errno != EINTR) return exited_now();
      for (nfds_t i = 0; ready > 0 && i < count; ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == pidfd.get()) return true;
        drain_output(output_slice_bytes);
      }
      if (steady::now() >= deadline) return pidfd ? false : exited_now();
    }
  }

  void drain_output(std::size_t budget) noexcept {
    while (output_fd && budget > 0) {
      const ssize_t n = ::read(output_fd.get(), scratch.data(), std::min(scratch.size(), budget));
      if (n > 0) {
        const std::string_view chunk(scratch.data(), static_cast<std::size_t>(n));
        output.append(chunk);
        if (options.on_output) {
          try {
            options.on_output(chunk);
          } catch (...) {  // a logging callback must not take the parent down
          }
        }
        budget -= static_cast<std::size_t>(n);
      } else if (n == 0) {
        output_fd.reset();
      } else if (errno != EINTR) {
        return;  // EAGAIN: nothing more for now
      }
    }
  }

  // ---- one request --------------------------------------------------------------------------

  worker_error failure(worker_failure kind, std::string subject, std::string problem, child_end status = {}) const {
    return worker_error{kind, error{std::move(subject), std::move(problem), ""}, output.tail(), status.code,
                        status.signal};
  }

  worker_result<worker_message> timed_out(const std::string& subject, milliseconds timeout) {
    const int dead_pid = pid;
    terminate(milliseconds(0));
    return std::unexpected(failure(worker_failure::timeout, subject,
                                   "no reply within " + std::to_string(timeout.count()) + " ms; the worker (pid " +
                                       std::to_string(dead_pid) + ") and its process group were killed"));
  }

  worker_result<worker_message> died(const std::string& subject) {
    const int dead_pid = pid;
    const child_end status = terminate(options.exit_grace);
    const std::string what = status.killed_by_us
                                 ? "closed its protocol channel without exiting and was killed after " +
                                       std::to_string(options.exit_grace.count()) + " ms"
                                 : status.describe();
    child_end reported = status;
    if (status.killed_by_us) reported = {};
    return std::unexpected(failure(worker_failure::crashed, subject,
                                   "the worker (pid " + std::to_string(dead_pid) + ") " + what + " before replying",
                                   reported));
  }

  worker_result<worker_message> broken(const std::string& subject, std::string problem) {
    terminate(milliseconds(0));
    return std::unexpected(failure(worker_failure::protocol, subject, problem + "; the worker was killed"));
  }

  worker_result<worker_message> accept(const std::string& line, std::int64_t id, const std::string& subject) {
    auto reply = decode_frame(line);
    if (!reply) return broken(subject, "unreadable reply: " + reply.error().to_string());
    const auto ok = reply->is_object() ? reply->find("ok") : reply->end();
    if (!reply->is_object() || ok == reply->end() || !ok->is_boolean()) {
      return broken(subject, "reply without a boolean \"ok\": " + line.substr(0, 200));
    }
    const worker_message reply_id = reply->value("id", worker_message());
    if (!reply_id.is_number_integer() || reply_id.get<std::int64_t>() != id) {
      const auto problem = reply->find("error");
      return broken(subject, "reply for id " + reply_id.dump() + " while waiting for " + std::to_string(id) +
                                 (problem != reply->end() ? ": " + error_from_json(*problem).to_string() : ""));
    }
    if (ok->get<bool>()) {
      const auto found = reply->find("result");
      return found != reply->end() ? std::move(*found) : worker_message();
    }
    const auto problem = reply->find("error");
    return std::unexpected(worker_error{worker_failure::handler_error,
                                        error_from_json(problem != reply->end() ? *problem : worker_message()), output.tail(), -1,
                                        0});
  }

  /// Sends `message` (an "id" is added) and waits for its reply until `timeout` has passed.
  worker_result<worker_message> exchange(worker_message message, const std::string& subject, milliseconds timeout) {
    const steady::time_point deadline = steady::now() + timeout;
    const std::int64_t id = next_id++;
    message["id"] = id;
    auto frame = encode_frame(message, options.max_message_bytes);
    if (!frame) {  // refused before anything was sent: the worker stays up
      return std::unexpected(failure(worker_failure::protocol, subject, "request " + frame.error().problem));
    }
    std::string_view unsent = *frame;
    bool channel_closed = false;  // EOF on the reply pipe, or EPIPE on the request pipe
    bool exited = false;
    for (;;) {
      if (auto line = replies.next()) {
        if (channel_closed || exited) healthy = false;  // answered, but the next call needs a new worker
        return accept(*line, id, subject);
      }
      if (channel_closed || exited) return died(subject);
      if (steady::now() >= deadline) return timed_out(subject, timeout);

      pollfd fds[4];
      nfds_t count = 0;
      const auto watch = [&](int fd, short events) -> pollfd* {
        if (fd < 0) return nullptr;
        fds[count] = {fd, events, 0};
        return &fds[count++];
      };
      const pollfd* reply_poll = watch(reply_fd.get(), POLLIN);
      const pollfd* output_poll = watch(output_fd.get(), POLLIN);
      const pollfd* request_poll = unsent.empty() ? nullptr : watch(request_fd.get(), POLLOUT);
      const pollfd* exit_poll = watch(pidfd.get(), POLLIN);
      const int left = remaining_ms(deadline);
      if (::poll(fds, count, pidfd ? left : std::min(left, poll_tick_ms)) < 0) {
        if (errno == EINTR) continue;
        return broken(subject, "poll: " + errno_text(errno));
      }

      if (output_poll != nullptr && output_poll->revents != 0) drain_output(output_slice_bytes);
      if (request_poll != nullptr && request_poll->revents != 0) {
        const long n = write_without_sigpipe(request_fd.get(), unsent);
        if (n > 0) {
          unsent.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          channel_closed = true;  // EPIPE: the child no longer reads
        }
      }
      if (reply_poll != nullptr && reply_poll->revents != 0) {
        std::size_t budget = reply_slice_bytes;
        while (budget > 0) {
          const ssize_t n = ::read(reply_fd.get(), scratch.data(), scratch.size());
          if (n > 0) {
            budget -= std::min(budget, static_cast<std::size_t>(n));
            if (auto appended = replies.append(std::string_view(scratch.data(), static_cast<std::size_t>(n)));
                !appended) {
              return broken(subject, "reply " + appended.error().problem);
            }
          } else if (n == 0) {
            channel_closed = true;
            break;
          } else if (errno != EINTR) {
            if (errno != EAGAIN) channel_closed = true;
            break;
          }
        }
      }
      if (exit_poll != nullptr && exit_poll->revents != 0) exited = true;
      if (!pidfd && !channel_closed && exited_now()) exited = true;
    }
  }
};

worker_process::worker_process(std::unique_ptr<state> s) : state_(std::move(s)) {}
worker_process::~worker_process() = default;
worker_process::worker_process(worker_process&& other) noexcept = default;
worker_process& worker_process::operator=(worker_process&& other) noexcept = default;

worker_result<worker_process> worker_process::start(worker_options options) {
  auto s = std::make_unique<state>(std::move(options));
  if (auto started = s->launch(); !started) return std::unexpected(started.error());
  return worker_process(std::move(s));
}

worker_result<worker_message> worker_process::call(const worker_message& request, std::chrono::milliseconds timeout) {
  if (!state_) throw std::logic_error("worker_process::call on a moved-from worker");
  if (!request.is_object() || !request.contains("type") || !request["type"].is_string()) {
    throw std::invalid_argument("worker_process::call: the request must be a JSON object with a string \"type\"");
  }
  state& s = *state_;
  if (s.healthy && s.exited_now()) {
    spdlog::warn("{} (pid {}) died between requests; starting a new one", s.name(), s.pid);
    s.terminate(milliseconds(0));
  }
  if (!s.healthy) {
    s.terminate(milliseconds(0));
    if (auto started = s.launch(); !started) return std::unexpected(started.error());
    ++s.restarts;
  }
  const std::string subject = s.request_subject(s.next_id, request["type"].get<std::string>());
  return s.exchange(request, subject, timeout);
}

void worker_process::stop() noexcept {
  if (state_) state_->shut_down();
}

bool worker_process::alive() const { return state_ && state_->healthy && state_->pid != 0; }
int worker_process::restarts() const { return state_ ? state_->restarts : 0; }
int worker_process::pid() const { return state_ ? state_->pid : 0; }
std::string worker_process::recent_output() const { return state_ ? state_->output.tail() : std::string(); }

}  // namespace ksearch::eval
