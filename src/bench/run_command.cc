#include "ksearch/bench/run_command.h"


#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "ksearch/common/child_spawn.h"

extern char** environ;

namespace ksearch::bench {

namespace {

using clock_type = std::chrono::steady_clock;

// After the program exits, how long output still held open by a descendant is read [ms].
constexpr auto exit_grace = std::chrono::milliseconds(2000);

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct spawn_objects {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  spawn_objects() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~spawn_objects() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  spawn_objects(const spawn_objects&) = delete;
  spawn_objects& operator=(const spawn_objects&) = delete;
};

// Reads what is available on `fd` into `sink` (up to `limit` bytes kept); closes fd at EOF or error.
void drain(int& fd, std::string& sink, std::size_t limit) {
  std::array<char, 65536> buffer{};
  while (fd >= 0) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      const std::size_t keep = std::min(static_cast<std::size_t>(n), limit - std::min(limit, sink.size()));
      sink.append(buffer.data(), keep);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    close_fd(fd);  // EOF or a read error: nothing more will come
  }
}

void record_status(int status, command_result& r) {
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.exit_code = -1;
    r.signal = WTERMSIG(status);
  }
}

}  // namespace

std::string command_result::describe_end() const {
  if (timed_out) return "timed out after " + std::to_string(static_cast<long long>(wall_ms / 1000)) + " s";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit code " + std::to_string(exit_code);
}

result<command_result> run_command(const std::vector<std::string>& argv, const command_options& options) {
  if (argv.empty() || argv.front().empty()) return fail("command", "is empty");
  const std::string& program = argv.front();

  // 1. Pipes for stdout and stderr; the parent's ends are non-blocking.
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int saved = errno;
    for (int* p : {out_pipe, err_pipe}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
    return fail("pipe2", std::strerror(saved));
  }
  for (const int fd : {out_pipe[0], err_pipe[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  // 2. The child: its own process group (so a timeout kills its children too), default signals,
  //    stdin on /dev/null, stdout and stderr on the pipes, no other descriptors.
  spawn_objects spawn;
  posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&spawn.actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&spawn.actions, STDERR_FILENO + 1);
  set_child_spawn_attributes(spawn.attr);

  std::vector<std::string> arg_strings = argv;
  std::vector<char*> c_argv;
  for (std::string& s : arg_strings) c_argv.push_back(s.data());
  c_argv.push_back(nullptr);

  const auto start = clock_type::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, program.c_str(), &spawn.actions, &spawn.attr, c_argv.data(), environ);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  if (spawned != 0) {
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    return fail(program, std::string("cannot start: ") + std::strerror(spawned),
                spawned == ENOENT ? "check the path, or install the tool" : "");
  }

  // 3. Collect output until the program has exited and its pipes are closed (or the grace after
  //    its exit has passed); kill the group at the deadline.
  command_result r;
  const auto deadline = start + options.timeout;
  bool exited = false;
  auto exit_time = start;
  while (true) {
    if (!exited) {
      int status = 0;
      const pid_t waited = ::waitpid(pid, &status, WNOHANG);
      if (waited == pid || (waited < 0 && errno != EINTR)) {
        if (waited == pid) record_status(status, r);
        exited = true;
        exit_time = clock_type::now();
      }
    }
    const auto now = clock_type::now();
    if (exited && ((out_pipe[0] < 0 && err_pipe[0] < 0) || now >= exit_time + exit_grace)) break;
    if (!exited && now >= deadline) {
      ::kill(-pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      r.timed_out = true;
      record_status(status, r);
      exited = true;
      exit_time = clock_type::now();
      continue;
    }

    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    for (const int fd : {out_pipe[0], err_pipe[0]}) {
      if (fd >= 0) fds[count++] = pollfd{fd, POLLIN, 0};
    }
    const auto wake = exited ? exit_time + exit_grace : deadline;
    const auto until_wake = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    // Short waits: a program that exits with its pipes still held elsewhere is noticed promptly.
    const int wait_ms = static_cast<int>(std::clamp<long long>(until_wake, 0, 20));
    ::poll(count > 0 ? fds.data() : nullptr, count, wait_ms);
    drain(out_pipe[0], r.out, options.max_output_bytes);
    drain(err_pipe[0], r.err, options.max_output_bytes);
  }
  close_fd(out_pipe[0]);
  close_fd(err_pipe[0]);
  r.wall_ms = std::chrono::duration<double, std::milli>(exit_time - start).count();
  return r;
}

}  // namespace ksearch::bench
