// Real child processes: what a spawned child inherits (descriptors, process group, signals,
// environment, folder), how it ended, and run_command's output, exit codes, signals and a deadline
// that kills a whole process group.
#include "ksearch/common/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ksearch/common/posix.h"
#include "support/read_fd.h"

namespace ksearch {
namespace {

using std::chrono::milliseconds;
using test_support::read_to_end;

/// Runs `argv` with its stdout on a pipe (plus `options`' other settings); what it printed and how
/// it ended.
struct program_run {
  std::string out;
  std::optional<exit_status> status;
};
program_run run_program(std::vector<std::string> argv, spawn_options options = {}) {
  auto pipe = make_pipe();
  EXPECT_TRUE(pipe.has_value());
  if (!pipe) return {};
  options.argv = std::move(argv);
  options.fds.push_back({STDOUT_FILENO, pipe->write.get()});
  auto pid = spawn_process(options);
  pipe->write.reset();
  EXPECT_TRUE(pid.has_value()) << pid.error().to_string();
  if (!pid) return {};
  program_run run;
  run.out = read_to_end(pipe->read.get());
  run.status = reap(*pid);
  return run;
}

program_run run_shell(const std::string& script, spawn_options options = {}) {
  return run_program({"/bin/sh", "-c", script}, std::move(options));
}

// ---- spawn_process ------------------------------------------------------------------------------

// dash, /bin/sh on Debian, takes only one-digit descriptors in redirections; /proc/$$/fd/N names any.
std::string fd_path(int fd) { return "/proc/$$/fd/" + std::to_string(fd); }

TEST(SubprocessSpawn, TheChildGetsTheMappedDescriptorsAndNoOthers) {
  auto extra = make_pipe();
  ASSERT_TRUE(extra.has_value());
  // Without O_CLOEXEC, as a careless library would leave it: the child must still not get it.
  const unique_fd leaked(::fcntl(extra->write.get(), F_DUPFD, 20));
  ASSERT_TRUE(leaked);
  // This process's stdin has data for a while: the child's must be /dev/null all the same.
  auto input = make_pipe();
  ASSERT_TRUE(input.has_value());
  ASSERT_TRUE(write_all(input->write.get(), "data\n").has_value());
  input->write.reset();
  const unique_fd saved_stdin(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
  ASSERT_TRUE(saved_stdin);
  ASSERT_EQ(::dup2(input->read.get(), STDIN_FILENO), STDIN_FILENO);
  const auto run = run_shell("if [ -e " + fd_path(leaked.get()) + " ]; then echo open; else echo closed; fi; "
                             "if read -r line; then echo stdin has data; else echo stdin is empty; fi");
  ASSERT_EQ(::dup2(saved_stdin.get(), STDIN_FILENO), STDIN_FILENO);
  EXPECT_EQ(run.out, "closed\nstdin is empty\n");
  ASSERT_TRUE(run.status.has_value());
  EXPECT_EQ(run.status->code, 0);
}

TEST(SubprocessSpawn, MapsADescriptorOntoAFixedNumber) {
  auto channel = make_pipe();
  ASSERT_TRUE(channel.has_value());
  const auto run = run_shell("echo on three >&3", {.fds = {{3, channel->write.get()}}});
  channel->write.reset();
  EXPECT_EQ(read_to_end(channel->read.get()), "on three\n");
  ASSERT_TRUE(run.status.has_value());
  EXPECT_EQ(run.status->code, 0);
}

TEST(SubprocessSpawn, MappingsThatSwapDescriptorsDoNotOverwriteEachOther) {
  auto first = make_pipe();
  auto second = make_pipe();
  ASSERT_TRUE(first.has_value() && second.has_value());
  const int a = first->write.get();
  const int b = second->write.get();
  // The child's a is the parent's b and the other way round: dup2s in order would lose one pipe.
  const auto run = run_shell("echo into-a > " + fd_path(a) + "; echo into-b > " + fd_path(b),
                             {.fds = {{a, b}, {b, a}}});
  first->write.reset();
  second->write.reset();
  EXPECT_EQ(read_to_end(second->read.get()), "into-a\n");
  EXPECT_EQ(read_to_end(first->read.get()), "into-b\n");
  ASSERT_TRUE(run.status.has_value());
  EXPECT_EQ(run.status->code, 0);
}

TEST(SubprocessSpawn, TheChildLeadsItsOwnGroupWithDefaultSignals) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigset_t previous_mask;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr1, &previous_mask), 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous_action {};
  ASSERT_EQ(sigaction(SIGUSR2, &ignore, &previous_action), 0);

  // cat shows its own state, with no shell in between to change it: /proc/self/stat is
  // "pid (comm) state ppid pgrp ...", and SigBlk and SigIgn are hexadecimal masks.
  const auto run = run_program({"/bin/cat", "/proc/self/stat", "/proc/self/status"});

  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  sigaction(SIGUSR2, &previous_action, nullptr);
  std::istringstream stat(run.out.substr(run.out.find(')') + 2));
  std::string state;
  long parent = 0;
  long group = 0;
  stat >> state >> parent >> group;
  EXPECT_EQ(run.out.substr(0, run.out.find(' ')), std::to_string(group)) << run.out;
  const auto mask = [&run](const std::string& name) {
    const std::size_t at = run.out.find("\n" + name + ":\t");
    return at == std::string::npos ? ~0ULL : std::stoull(run.out.substr(at + name.size() + 3, 16), nullptr, 16);
  };
  EXPECT_EQ(mask("SigBlk"), 0ULL) << run.out;
  // Only SIGUSR2's bit is checked: glibc reserves signals 32 and 33 and cannot reset them.
  EXPECT_EQ(mask("SigIgn") & (1ULL << (SIGUSR2 - 1)), 0ULL) << run.out;
}

TEST(SubprocessSpawn, UsesTheGivenEnvironmentAndItsPath) {
  const auto run = run_shell("echo \"$KSEARCH_SPAWN_TEST\"; command -v ls",
                             {.env = std::vector<std::string>{"KSEARCH_SPAWN_TEST=given", "PATH=/bin:/usr/bin"}});
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')), "given");

  auto missing = spawn_process({.argv = {"sh", "-c", "true"}, .env = std::vector<std::string>{"PATH=/nonexistent"}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().subject, "sh");
  EXPECT_EQ(missing.error().problem, "not found in PATH (/nonexistent)");
}

TEST(SubprocessSpawn, StartsInTheWorkingFolder) {
  const auto run = run_shell("pwd", {.working_dir = "/"});
  EXPECT_EQ(run.out, "/\n");
}

TEST(SubprocessSpawn, AProgramThatCannotStartIsAnError) {
  auto missing = spawn_process({.argv = {"/nonexistent/ksearch-no-such-program"}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().subject, "/nonexistent/ksearch-no-such-program");
  EXPECT_EQ(missing.error().problem, "cannot start: " + errno_text(ENOENT));
  EXPECT_FALSE(spawn_process({}).has_value());
}

TEST(SubprocessReap, ReportsTheExitCodeOrTheSignalOnce) {
  const auto exited = run_shell("exit 7");
  ASSERT_TRUE(exited.status.has_value());
  EXPECT_EQ(exited.status->code, 7);
  EXPECT_EQ(exited.status->signal, 0);

  const auto killed = run_shell("kill -TERM $$");
  ASSERT_TRUE(killed.status.has_value());
  EXPECT_EQ(killed.status->code, -1);
  EXPECT_EQ(killed.status->signal, SIGTERM);

  auto pid = spawn_process({.argv = {"/bin/sh", "-c", "exit 0"}});
  ASSERT_TRUE(pid.has_value());
  EXPECT_TRUE(reap(*pid).has_value());
  EXPECT_FALSE(reap(*pid).has_value());  // already reaped
}

TEST(SubprocessReap, KillGroupEndsTheChildAndWhatItStarted) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value());
  // The grandchild holds the pipe's write end: EOF comes only once it is dead too.
  auto pid = spawn_process({.argv = {"/bin/sh", "-c", "sleep 60 & echo started; wait"},
                            .fds = {{STDOUT_FILENO, pipe->write.get()}}});
  pipe->write.reset();
  ASSERT_TRUE(pid.has_value()) << pid.error().to_string();
  char first[8] = {};
  ASSERT_EQ(::read(pipe->read.get(), first, sizeof first), 8);  // "started\n": the grandchild runs
  const auto start = std::chrono::steady_clock::now();
  const auto status = kill_group_and_reap(*pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->signal, SIGKILL);
  EXPECT_EQ(read_to_end(pipe->read.get()), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// ---- run_command --------------------------------------------------------------------------------

TEST(RunCommand, CollectsStdoutAndStderrApart) {
  auto r = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->signal, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->succeeded());
  EXPECT_EQ(r->describe_end(), "exit code 3");
  EXPECT_GT(r->wall_ms, 0);
}

TEST(RunCommand, FindsProgramsInPathAndGivesThemNoStdin) {
  auto r = run_command({"sh", "-c", "cat; echo done"});  // cat reads /dev/null: returns at once
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(r->succeeded());
  EXPECT_EQ(r->out, "done\n");
}

TEST(RunCommand, ReportsTheSignalThatEndedTheProgram) {
  auto r = run_command({"/bin/sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->signal, 15);
  EXPECT_EQ(r->describe_end(), "killed by signal 15");
}

TEST(RunCommand, DeadlineKillsTheProgramAndItsChildren) {
  const auto start = std::chrono::steady_clock::now();
  // The child starts a grandchild that would keep the output pipe open for a minute.
  auto r = run_command({"/bin/sh", "-c", "sleep 60 & echo started; wait"}, {.timeout = milliseconds(300)});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->succeeded());
  EXPECT_EQ(r->out, "started\n");
  EXPECT_LT(waited, std::chrono::seconds(10));
  EXPECT_NE(r->describe_end().find("timed out"), std::string::npos);
}

TEST(RunCommand, ADescendantHoldingThePipeCannotHoldTheCaller) {
  const auto start = std::chrono::steady_clock::now();
  // The program exits at once; its background child keeps stdout open for 60 s.
  auto r = run_command({"/bin/sh", "-c", "sleep 60 & echo bye"}, {.timeout = milliseconds(30000)});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(r->succeeded());
  EXPECT_EQ(r->out, "bye\n");
  EXPECT_LT(waited, std::chrono::seconds(10));
}

TEST(RunCommand, KeepsAtMostTheOutputLimit) {
  auto r = run_command({"/bin/sh", "-c", "head -c 100000 /dev/zero"}, {.max_output_bytes = 1000});
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(r->succeeded());  // the rest was read and dropped, so the writer never blocked
  EXPECT_EQ(r->out.size(), 1000u);
}

TEST(RunCommand, AProgramThatCannotStartIsAnError) {
  auto missing = run_command({"/nonexistent/ksearch-no-such-tool"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().subject, "/nonexistent/ksearch-no-such-tool");
  EXPECT_FALSE(run_command({}).has_value());
}

}  // namespace
}  // namespace ksearch
