#include "ksearch/common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>

#include "ksearch/common/posix.h"

extern char** environ;

namespace ksearch {

namespace {

using clock_type = std::chrono::steady_clock;

// After the program exits, how long output still held open by a descendant is read [ms].
constexpr auto exit_grace = std::chrono::milliseconds(2000);

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

// A new process group, an empty signal mask and default dispositions.
void set_child_attributes(posix_spawnattr_t& attributes) {
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t all_signals;
  sigfillset(&all_signals);
  sigdelset(&all_signals, SIGKILL);
  sigdelset(&all_signals, SIGSTOP);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &all_signals);
}

std::string search_path(const std::optional<std::vector<std::string>>& env) {
  if (env) {
    for (const std::string& entry : *env) {
      if (entry.starts_with("PATH=")) return entry.substr(5);
    }
  }
  const char* parent_path = std::getenv("PATH");
  return parent_path != nullptr ? std::string(parent_path) : std::string("/usr/bin:/bin");
}

result<std::string> find_executable(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return name;  // posix_spawn reports what is wrong with it
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return fail(name, "not found in PATH (" + path + ")", "install it, or give its full path");
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Reads what is available on `fd` into `sink` (up to `limit` bytes kept); closes fd at EOF or error.
void drain(unique_fd& fd, std::string& sink, std::size_t limit) {
  std::array<char, 65536> buffer{};
  while (fd) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n > 0) {
      const std::size_t keep = std::min(static_cast<std::size_t>(n), limit - std::min(limit, sink.size()));
      sink.append(buffer.data(), keep);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    fd.reset();  // EOF or a read error: nothing more will come
  }
}

void record_status(const std::optional<exit_status>& status, command_result& r) {
  if (!status) return;
  r.exit_code = status->code;
  r.signal = status->signal;
}

}  // namespace

result<pid_t> spawn_process(const spawn_options& options) {
  if (options.argv.empty() || options.argv.front().empty()) return fail("command", "is empty");
  auto executable = find_executable(options.argv.front(), search_path(options.env));
  if (!executable) return std::unexpected(executable.error());

  // Every source descriptor sits above every target, so that no dup2 overwrites a later source
  // (nor is a no-op that would leave it close-on-exec); the copies made here close after the spawn.
  int first_unmapped = STDERR_FILENO + 1;
  for (const child_fd& fd : options.fds) first_unmapped = std::max(first_unmapped, fd.child + 1);
  std::vector<unique_fd> parked;
  std::vector<child_fd> fds = options.fds;
  for (child_fd& fd : fds) {
    if (fd.parent >= first_unmapped) continue;
    unique_fd copy(::fcntl(fd.parent, F_DUPFD_CLOEXEC, first_unmapped));
    if (!copy) return fail("fcntl(F_DUPFD_CLOEXEC)", errno_text(errno));
    fd.parent = copy.get();
    parked.push_back(std::move(copy));
  }

  spawn_objects spawn;
  if (std::ranges::none_of(fds, [](const child_fd& fd) { return fd.child == STDIN_FILENO; })) {
    posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  for (const child_fd& fd : fds) posix_spawn_file_actions_adddup2(&spawn.actions, fd.parent, fd.child);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&spawn.actions, options.working_dir.c_str());
  }
  posix_spawn_file_actions_addclosefrom_np(&spawn.actions, first_unmapped);
  set_child_attributes(spawn.attr);

  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv = c_array(argv_strings);
  std::vector<std::string> env_strings = options.env.value_or(std::vector<std::string>());
  std::vector<char*> envp = c_array(env_strings);
  pid_t child = 0;
  const int spawned = ::posix_spawn(&child, executable->c_str(), &spawn.actions, &spawn.attr, argv.data(),
                                    options.env ? envp.data() : environ);
  if (spawned != 0) {
    return fail(*executable, "cannot start: " + errno_text(spawned),
                spawned == ENOENT ? "check the path, or install the tool" : "");
  }
  return child;
}

exit_status decode_wait_status(int raw) {
  exit_status status;
  if (WIFEXITED(raw)) status.code = WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) status.signal = WTERMSIG(raw);
  return status;
}

std::optional<exit_status> reap(pid_t pid) {
  int raw = 0;
  pid_t reaped = -1;
  do {
    reaped = ::waitpid(pid, &raw, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid) return std::nullopt;
  return decode_wait_status(raw);
}

std::optional<exit_status> kill_group_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  return reap(pid);
}

std::string command_result::describe_end() const {
  if (timed_out) return "timed out after " + std::to_string(static_cast<long long>(wall_ms / 1000)) + " s";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit code " + std::to_string(exit_code);
}

result<command_result> run_command(const std::vector<std::string>& argv, const command_options& options) {
  // 1. Pipes for stdout and stderr; the parent's ends are non-blocking.
  auto out_pipe = make_pipe();
  if (!out_pipe) return std::unexpected(out_pipe.error());
  auto err_pipe = make_pipe();
  if (!err_pipe) return std::unexpected(err_pipe.error());
  for (const unique_fd* fd : {&out_pipe->read, &err_pipe->read}) {
    if (auto set = set_nonblocking(fd->get()); !set) return std::unexpected(set.error());
  }

  // 2. The child, with stdout and stderr on the pipes.
  const auto start = clock_type::now();
  auto pid = spawn_process({.argv = argv,
                            .env = options.env,
                            .fds = {{STDOUT_FILENO, out_pipe->write.get()}, {STDERR_FILENO, err_pipe->write.get()}}});
  out_pipe->write.reset();
  err_pipe->write.reset();
  if (!pid) return std::unexpected(pid.error());
  unique_fd& out_fd = out_pipe->read;
  unique_fd& err_fd = err_pipe->read;

  // 3. Collect output until the program has exited and its pipes are closed (or the grace after
  //    its exit has passed); kill the group at the deadline.
  command_result r;
  const auto deadline = start + options.timeout;
  bool exited = false;
  auto exit_time = start;
  while (true) {
    if (!exited) {
      int raw = 0;
      const pid_t waited = ::waitpid(*pid, &raw, WNOHANG);
      if (waited == *pid || (waited < 0 && errno != EINTR)) {
        if (waited == *pid) record_status(decode_wait_status(raw), r);
        exited = true;
        exit_time = clock_type::now();
      }
    }
    const auto now = clock_type::now();
    if (exited && ((!out_fd && !err_fd) || now >= exit_time + exit_grace)) break;
    if (!exited && now >= deadline) {
      r.timed_out = true;
      record_status(kill_group_and_reap(*pid), r);
      exited = true;
      exit_time = clock_type::now();
      continue;
    }

    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    for (const unique_fd* fd : {&out_fd, &err_fd}) {
      if (*fd) fds[count++] = pollfd{fd->get(), POLLIN, 0};
    }
    const auto wake = exited ? exit_time + exit_grace : deadline;
    const auto until_wake = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    // Short waits: a program that exits with its pipes still held elsewhere is noticed promptly.
    const int wait_ms = static_cast<int>(std::clamp<long long>(until_wake, 0, 20));
    ::poll(count > 0 ? fds.data() : nullptr, count, wait_ms);
    drain(out_fd, r.out, options.max_output_bytes);
    drain(err_fd, r.err, options.max_output_bytes);
  }
  r.wall_ms = std::chrono::duration<double, std::milli>(exit_time - start).count();
  return r;
}

}  // namespace ksearch
