// worker_process against a real child: tests/worker/test_worker.cpp, whose handlers crash, hang,
// spam and corrupt the stream on request.
#include "ksearch/eval/isolation/worker_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "ksearch/common/json.h"

#include "support/temp_dir.h"

namespace ksearch::eval {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

worker_options test_worker(std::vector<std::string> extra_args = {}) {
  worker_options options;
  options.argv = {KSEARCH_TEST_WORKER};
  options.argv.insert(options.argv.end(), extra_args.begin(), extra_args.end());
  options.start_timeout = 5s;
  return options;
}

worker_process started(worker_options options = test_worker()) {
  auto worker = worker_process::start(std::move(options));
  if (!worker) throw std::runtime_error("test worker did not start: " + worker.error().to_string());
  return std::move(*worker);
}

// True once `pid` no longer exists. Only for processes that are not our children (or already
// reaped): a zombie child still answers kill(pid, 0).
bool gone(int pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

bool reaped_already(int pid) {
  errno = 0;
  return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

TEST(WorkerProcess, StartsAndAnswersPing) {
  worker_process worker = started();
  EXPECT_TRUE(worker.alive());
  EXPECT_GT(worker.pid(), 0);
  EXPECT_NE(worker.pid(), ::getpid());
  EXPECT_EQ(worker.restarts(), 0);
  auto pong = worker.call({{"type", "ping"}}, 2s);
  ASSERT_TRUE(pong.has_value()) << pong.error().to_string();
  EXPECT_EQ((*pong)["pid"], worker.pid());
  EXPECT_EQ((*pong)["protocol"], worker_protocol_version);
  EXPECT_EQ((*pong)["version"], std::string("ksearch ") + KSEARCH_VERSION);
}

TEST(WorkerProcess, EchoRoundTripKeepsTheMessage) {
  worker_process worker = started();
  const json request{{"type", "echo"},
                     {"text", "multi\nline \"quoted\" \xE2\x9C\x93"},
                     {"nested", {{"list", {1, 2.5, nullptr, false}}, {"empty", json::object()}}}};
  auto reply = worker.call(request, 2s);
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ((*reply)["text"], request["text"]);
  EXPECT_EQ((*reply)["nested"], request["nested"]);
  EXPECT_TRUE((*reply)["id"].is_number_integer());  // the id call() assigned
}

TEST(WorkerProcess, ServesManyCallsOnOneProcess) {
  worker_process worker = started();
  const int pid = worker.pid();
  for (int i = 0; i < 300; ++i) {
    auto reply = worker.call({{"type", "echo"}, {"i", i}}, 2s);
    ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
    ASSERT_EQ((*reply)["i"], i);
  }
  EXPECT_EQ(worker.pid(), pid);
  EXPECT_EQ(worker.restarts(), 0);
}

TEST(WorkerProcess, TimeoutKillsTheWorkerAndTheNextCallRunsOnAFreshOne) {
  worker_process worker = started();
  const int old_pid = worker.pid();
  const auto before = steady::now();
  auto reply = worker.call({{"type", "sleep"}, {"ms", 20000}}, 300ms);
  const auto elapsed = steady::now() - before;
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, worker_failure::timeout);
  EXPECT_NE(reply.error().detail.subject.find("'sleep'"), std::string::npos) << reply.error().detail.subject;
  EXPECT_NE(reply.error().detail.problem.find("300 ms"), std::string::npos) << reply.error().detail.problem;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 800ms);
  EXPECT_FALSE(worker.alive());
  EXPECT_EQ(worker.pid(), 0);
  EXPECT_TRUE(reaped_already(old_pid));

  auto next = worker.call({{"type", "echo"}, {"after", "timeout"}}, 2s);
  ASSERT_TRUE(next.has_value()) << next.error().to_string();
  EXPECT_EQ((*next)["after"], "timeout");
  EXPECT_TRUE(worker.alive());
  EXPECT_NE(worker.pid(), old_pid);
  EXPECT_EQ(worker.restarts(), 1);
}

TEST(WorkerProcess, AbortIsACrashNamingSigabrtWithWhatTheChildPrinted) {
  worker_process worker = started();
  const int old_pid = worker.pid();
  auto reply = worker.call({{"type", "abort"}}, 2s);
  ASSERT_FALSE(reply.has_value());
  const worker_error& e = reply.error();
  EXPECT_EQ(e.kind, worker_failure::crashed);
  EXPECT_EQ(e.signal, SIGABRT);
  EXPECT_EQ(e.exit_code, -1);
  EXPECT_NE(e.detail.problem.find("SIGABRT"), std::string::npos) << e.detail.problem;
  EXPECT_NE(e.output_tail.find("about to abort"), std::string::npos) << e.output_tail;
  EXPECT_NE(worker.recent_output().find("about to abort"), std::string::npos);
  EXPECT_NE(e.to_string().find("about to abort"), std::string::npos);
  EXPECT_FALSE(worker.alive());
  EXPECT_TRUE(reaped_already(old_pid));

  auto next = worker.call({{"type", "echo"}}, 2s);
  ASSERT_TRUE(next.has_value()) << next.error().to_string();
  EXPECT_EQ(worker.restarts(), 1);
  EXPECT_EQ(worker.recent_output().find("about to abort"), std::string::npos);  // a new child, a new log
}

TEST(WorkerProcess, SegfaultIsACrashNamingSigsegv) {
  worker_process worker = started();
  auto reply = worker.call({{"type", "segfault"}}, 2s);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, worker_failure::crashed);
  EXPECT_EQ(reply.error().signal, SIGSEGV);
  EXPECT_NE(reply.error().detail.problem.find("SIGSEGV"), std::string::npos) << reply.error().detail.problem;
  EXPECT_NE(reply.error().output_tail.find("about to segfault"), std::string::npos) << reply.error().output_tail;
}

TEST(WorkerProcess, ExitCodeIsReported) {
  worker_process worker = started();
  auto reply = worker.call({{"type", "exit"}, {"code", 7}}, 2s);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, worker_failure::crashed);
  EXPECT_EQ(reply.error().exit_code, 7);
  EXPECT_EQ(reply.error().signal, 0);
  EXPECT_NE(reply.error().detail.problem.find("exited with code 7"), std::string::npos) << reply.error().detail.problem;
  EXPECT_NE(reply.error().output_tail.find("exiting with 7"), std::string::npos) << reply.error().output_tail;
}

TEST(WorkerProcess, OutputFloodDoesNotBlockAndOnlyTheTailIsKept) {
  worker_options options = test_worker();
  options.output_tail_bytes = 1000;
  std::size_t seen = 0;
  options.on_output = [&seen](std::string_view chunk) { seen += chunk.size(); };
  worker_process worker = started(std::move(options));
  const auto before = steady::now();
  auto reply = worker.call({{"type", "spam"}, {"mb", 8}}, 10s);  // 16 MiB: far beyond any pipe buffer
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_LT(steady::now() - before, 2s);
  EXPECT_EQ((*reply)["bytes"], 16 << 20);
  const std::string tail = worker.recent_output();
  EXPECT_LE(tail.size(), 1000u);
  EXPECT_NE(tail.find("spam done"), std::string::npos);
  // Everything the child wrote before replying passed through the drain.
  EXPECT_GE(seen, std::size_t{16} << 20);
}

TEST(WorkerProcess, TimeoutKillsGrandchildrenToo) {
  // Become the subreaper for this test, so the orphaned grandchild is reparented to us and its
  // end can be observed (and reaped) here rather than by whatever runs as pid 1.
  struct subreaper {
    subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  } scope;
  worker_process worker = started();
  auto reply = worker.call({{"type", "fork_and_hang"}}, 300ms);
  ASSERT_FALSE(reply.has_value());
  ASSERT_EQ(reply.error().kind, worker_failure::timeout);
  std::smatch match;
  const std::string tail = reply.error().output_tail;
  ASSERT_TRUE(std::regex_search(tail, match, std::regex("grandchild ([0-9]+)"))) << tail;
  const int grandchild = std::stoi(match[1]);

  int status = 0;
  pid_t reaped = 0;
  const auto start = steady::now();
  while ((reaped = ::waitpid(grandchild, &status, WNOHANG)) == 0 && steady::now() - start < 1s) {
    std::this_thread::sleep_for(5ms);
  }
  if (reaped != grandchild) {
    ::kill(grandchild, SIGKILL);
    ::waitpid(grandchild, nullptr, 0);
    FAIL() << "grandchild " << grandchild << " survived the timeout kill";
  }
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(gone(grandchild));
}

TEST(WorkerProcess, HandlerErrorsKeepTheWorkerAlive) {
  worker_process worker = started();
  const int pid = worker.pid();
  auto unknown = worker.call({{"type", "no_such_type"}}, 2s);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind, worker_failure::handler_error);
  EXPECT_EQ(unknown.error().detail.problem, "unknown request type");
  EXPECT_NE(unknown.error().detail.fix.find("echo"), std::string::npos) << unknown.error().detail.fix;

  auto refused = worker.call({{"type", "fail"}, {"subject", "kernel.cu:9"}}, 2s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, worker_failure::handler_error);
  EXPECT_EQ(refused.error().detail.subject, "kernel.cu:9");
  EXPECT_EQ(refused.error().detail.problem, "the handler said no");
  EXPECT_EQ(refused.error().detail.fix, "ask nicely");

  auto thrown = worker.call({{"type", "throw"}}, 2s);
  ASSERT_FALSE(thrown.has_value());
  EXPECT_EQ(thrown.error().kind, worker_failure::handler_error);
  EXPECT_NE(thrown.error().detail.problem.find("thrown on purpose"), std::string::npos);

  EXPECT_TRUE(worker.alive());
  EXPECT_EQ(worker.pid(), pid);
  EXPECT_TRUE(worker.call({{"type", "echo"}}, 2s).has_value());
  EXPECT_EQ(worker.restarts(), 0);
}

TEST(WorkerProcess, GarbageOnTheReplyChannelIsAProtocolFailure) {
  worker_process worker = started();
  const int old_pid = worker.pid();
  auto reply = worker.call({{"type", "garbage"}}, 2s);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, worker_failure::protocol);
  EXPECT_NE(reply.error().detail.problem.find("this is not json"), std::string::npos) << reply.error().detail.problem;
  EXPECT_FALSE(worker.alive());
  EXPECT_TRUE(reaped_already(old_pid));
  auto next = worker.call({{"type", "echo"}}, 2s);
  ASSERT_TRUE(next.has_value()) << next.error().to_string();
  EXPECT_EQ(worker.restarts(), 1);
}

TEST(WorkerProcess, LargeRepliesArriveWholeAndOversizedOnesAreRefused) {
  worker_options options = test_worker();
  options.max_message_bytes = std::size_t{8} << 20;
  worker_process worker = started(std::move(options));
  auto big = worker.call({{"type", "big"}, {"bytes", 6 << 20}}, 5s);
  ASSERT_TRUE(big.has_value()) << big.error().to_string();
  EXPECT_EQ((*big)["data"].get_ref<const std::string&>().size(), std::size_t{6} << 20);

  auto too_big = worker.call({{"type", "big"}, {"bytes", 12 << 20}}, 5s);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().kind, worker_failure::protocol);
  EXPECT_NE(too_big.error().detail.problem.find("8 MiB"), std::string::npos) << too_big.error().detail.problem;
  EXPECT_FALSE(worker.alive());
}

TEST(WorkerProcess, OversizedRequestIsRefusedBeforeSendingAndTheWorkerStays) {
  worker_options options = test_worker();
  options.max_message_bytes = 1000;
  worker_process worker = started(std::move(options));
  auto reply = worker.call({{"type", "echo"}, {"data", std::string(2000, 'x')}}, 2s);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, worker_failure::protocol);
  EXPECT_NE(reply.error().detail.problem.find("request"), std::string::npos);
  EXPECT_TRUE(worker.alive());
  EXPECT_TRUE(worker.call({{"type", "echo"}}, 2s).has_value());
  EXPECT_EQ(worker.restarts(), 0);
}

TEST(WorkerProcess, DestructorEndsAndReapsALiveWorker) {
  int pid = 0;
  {
    worker_process worker = started();
    pid = worker.pid();
    ASSERT_TRUE(worker.call({{"type", "echo"}}, 2s).has_value());
  }
  EXPECT_TRUE(reaped_already(pid));  // no zombie left behind
  EXPECT_TRUE(gone(pid));
}

// A stand-in worker in sh: answers the ping (the first request has id 1) with `protocol`, then
// never reads its channel again.
worker_options scripted_worker(int protocol) {
  worker_options options;
  options.argv = {"/bin/sh", "-c",
                  "read -r request; echo '{\"id\": 1, \"ok\": true, \"result\": {\"protocol\": " +
                      std::to_string(protocol) + "}}'; exec sleep 30"};
  options.channel = worker_channel::stdio;
  options.start_timeout = 2s;
  return options;
}

TEST(WorkerProcess, DestructorKillsAWorkerThatIgnoresTheClosedChannel) {
  worker_options options = scripted_worker(worker_protocol_version);
  options.exit_grace = 100ms;
  int pid = 0;
  steady::time_point before;
  {
    worker_process worker = started(std::move(options));
    pid = worker.pid();
    before = steady::now();
  }
  const auto took = steady::now() - before;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 1s);
  EXPECT_TRUE(reaped_already(pid));
}

TEST(WorkerProcess, AChildThatStopsReadingIsACrashAndNoSigpipeReachesTheParent) {
  worker_options options = scripted_worker(worker_protocol_version);
  options.argv[2] = "read -r request; echo '{\"id\": 1, \"ok\": true, \"result\": {\"protocol\": " +
                    std::to_string(worker_protocol_version) + "}}'; exec 0<&-; exec sleep 30";
  options.exit_grace = 100ms;
  worker_process worker = started(std::move(options));
  const std::filesystem::path child_stdin = "/proc/" + std::to_string(worker.pid()) + "/fd/0";
  for (int i = 0; i < 200 && std::filesystem::exists(child_stdin); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_FALSE(std::filesystem::exists(child_stdin)) << "the scripted worker did not close its stdin";
  // The request pipe has no reader now: the write fails with EPIPE (a SIGPIPE would end this test
  // binary with the default disposition it has).
  auto reply = worker.call({{"type", "echo"}}, 2s);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, worker_failure::crashed);
  EXPECT_NE(reply.error().detail.problem.find("closed its protocol channel"), std::string::npos)
      << reply.error().detail.problem;
  EXPECT_FALSE(worker.alive());
}

TEST(WorkerProcess, StopThenCallStartsAFreshWorker) {
  worker_process worker = started();
  const int old_pid = worker.pid();
  worker.stop();
  EXPECT_FALSE(worker.alive());
  EXPECT_TRUE(reaped_already(old_pid));
  ASSERT_TRUE(worker.call({{"type", "echo"}}, 2s).has_value());
  EXPECT_NE(worker.pid(), old_pid);
  EXPECT_EQ(worker.restarts(), 1);
}

TEST(WorkerProcess, AWorkerThatDiedWhileIdleIsReplacedBeforeTheRequest) {
  worker_process worker = started();
  const int old_pid = worker.pid();
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  std::this_thread::sleep_for(50ms);
  auto reply = worker.call({{"type", "echo"}, {"n", 1}}, 2s);
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();  // not blamed on this request
  EXPECT_NE(worker.pid(), old_pid);
  EXPECT_EQ(worker.restarts(), 1);
}

TEST(WorkerProcess, EnvironmentAndWorkingFolderReachTheChild) {
  test_support::temp_dir folder;
  worker_options options = test_worker();
  options.env["CUDA_VISIBLE_DEVICES"] = "3";
  options.env["KSEARCH_TEST_EMPTY"] = "";
  options.unset_env = {"HOME"};
  options.working_dir = folder.path();
  worker_process worker = started(std::move(options));
  auto cuda = worker.call({{"type", "env"}, {"name", "CUDA_VISIBLE_DEVICES"}}, 2s);
  ASSERT_TRUE(cuda.has_value()) << cuda.error().to_string();
  EXPECT_EQ((*cuda)["value"], "3");
  EXPECT_EQ(std::filesystem::path((*cuda)["cwd"].get<std::string>()), std::filesystem::canonical(folder.path()));
  EXPECT_EQ((*worker.call({{"type", "env"}, {"name", "KSEARCH_TEST_EMPTY"}}, 2s))["value"], "");
  EXPECT_TRUE((*worker.call({{"type", "env"}, {"name", "HOME"}}, 2s))["value"].is_null());
  // The channel variable is consumed by the worker, not passed on to what it starts.
  EXPECT_TRUE((*worker.call({{"type", "env"}, {"name", worker_channel_env}}, 2s))["value"].is_null());
}

TEST(WorkerProcess, StdioChannelKeepsPrintedTextOutOfTheProtocol) {
  // As behind ssh: the environment does not arrive, the command line names the channel.
  worker_options options;
  options.argv = {"/bin/sh", "-c", "unset KSEARCH_WORKER_FDS; exec \"$0\" --protocol stdio", KSEARCH_TEST_WORKER};
  options.channel = worker_channel::stdio;
  worker_process worker = started(std::move(options));
  auto printed = worker.call({{"type", "print"}, {"text", "{\"id\": 999, \"ok\": true}"}}, 2s);
  ASSERT_TRUE(printed.has_value()) << printed.error().to_string();
  auto reply = worker.call({{"type", "echo"}, {"n", 2}}, 2s);
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ((*reply)["n"], 2);
  EXPECT_NE(worker.recent_output().find("{\"id\": 999, \"ok\": true}"), std::string::npos) << worker.recent_output();

  auto crashed = worker.call({{"type", "abort"}}, 2s);
  ASSERT_FALSE(crashed.has_value());
  EXPECT_EQ(crashed.error().kind, worker_failure::crashed);
  EXPECT_NE(crashed.error().output_tail.find("about to abort"), std::string::npos);
}

TEST(WorkerProcess, StartFailsForAMissingExecutable) {
  worker_options options;
  options.argv = {"/nonexistent/ksearch_worker"};
  auto worker = worker_process::start(options);
  ASSERT_FALSE(worker.has_value());
  EXPECT_EQ(worker.error().kind, worker_failure::start_failed);
  EXPECT_EQ(worker.error().detail.subject, "/nonexistent/ksearch_worker");

  options.argv = {"no-such-ksearch-worker-command"};
  auto unnamed = worker_process::start(options);
  ASSERT_FALSE(unnamed.has_value());
  EXPECT_EQ(unnamed.error().kind, worker_failure::start_failed);
  EXPECT_NE(unnamed.error().detail.problem.find("not found in PATH"), std::string::npos);

  auto empty = worker_process::start(worker_options{});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().detail.subject, "worker_options.argv");
}

TEST(WorkerProcess, StartFailsForAChildThatDoesNotSpeakTheProtocol) {
  worker_options exits;
  exits.argv = {"/bin/sh", "-c", "echo not a worker; exit 3"};
  auto quitter = worker_process::start(exits);
  ASSERT_FALSE(quitter.has_value());
  EXPECT_EQ(quitter.error().kind, worker_failure::start_failed);
  EXPECT_NE(quitter.error().detail.problem.find("exited with code 3"), std::string::npos)
      << quitter.error().detail.problem;
  EXPECT_NE(quitter.error().output_tail.find("not a worker"), std::string::npos);

  auto other_version = worker_process::start(scripted_worker(worker_protocol_version + 1));
  ASSERT_FALSE(other_version.has_value());
  EXPECT_EQ(other_version.error().kind, worker_failure::start_failed);
  EXPECT_NE(other_version.error().detail.problem.find("expected " + std::to_string(worker_protocol_version)),
            std::string::npos)
      << other_version.error().detail.problem;

  worker_options silent;
  silent.argv = {"/bin/sleep", "30"};
  silent.start_timeout = 200ms;
  const auto before = steady::now();
  auto sleeper = worker_process::start(silent);
  ASSERT_FALSE(sleeper.has_value());
  EXPECT_EQ(sleeper.error().kind, worker_failure::start_failed);
  EXPECT_NE(sleeper.error().detail.problem.find("did not answer ping"), std::string::npos);
  EXPECT_LT(steady::now() - before, 1s);
}

TEST(WorkerProcess, MovedWorkerKeepsItsChild) {
  worker_process first = started();
  const int pid = first.pid();
  worker_process second = std::move(first);
  EXPECT_EQ(second.pid(), pid);
  EXPECT_TRUE(second.call({{"type", "echo"}}, 2s).has_value());
  EXPECT_EQ(first.pid(), 0);  // NOLINT(bugprone-use-after-move): the moved-from state is documented
  EXPECT_FALSE(first.alive());
  EXPECT_THROW((void)first.call({{"type", "echo"}}, 1s), std::logic_error);

  worker_process third = started();
  const int replaced = third.pid();
  third = std::move(second);  // the worker third held is ended and reaped
  EXPECT_EQ(third.pid(), pid);
  EXPECT_TRUE(reaped_already(replaced));
}

TEST(WorkerProcess, RequestWithoutTypeIsACallerBug) {
  worker_process worker = started();
  EXPECT_THROW((void)worker.call(json{{"no_type", 1}}, 1s), std::invalid_argument);
  EXPECT_THROW((void)worker.call(json::array(), 1s), std::invalid_argument);
  EXPECT_TRUE(worker.alive());
}

}  // namespace
}  // namespace ksearch::eval
