// The worker's side of the protocol: framing, the channel set-up and serve_worker, run in-process
// over real pipes (and once in a forked child, to see the orphan watchdog end it).
#include "ksearch/eval/isolation/worker_protocol.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "ksearch/common/json.h"

namespace ksearch::eval {
namespace {

using namespace std::chrono_literals;

// ---- frames -------------------------------------------------------------------------------------

TEST(WorkerProtocolFrames, ReaderJoinsALineSplitAcrossChunks) {
  frame_reader reader;
  ASSERT_TRUE(reader.append("{\"id\":").has_value());
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_EQ(reader.partial_bytes(), 6u);
  ASSERT_TRUE(reader.append("1}\n{\"id\"").has_value());
  EXPECT_EQ(reader.next(), "{\"id\":1}");
  EXPECT_FALSE(reader.next().has_value());
  ASSERT_TRUE(reader.append(":2}\n").has_value());
  EXPECT_EQ(reader.next(), "{\"id\":2}");
  EXPECT_EQ(reader.partial_bytes(), 0u);
}

TEST(WorkerProtocolFrames, ReaderReturnsEveryLineOfOneChunkInOrder) {
  frame_reader reader;
  ASSERT_TRUE(reader.append("a\nbb\n\nccc\ndd").has_value());
  EXPECT_EQ(reader.next(), "a");
  EXPECT_EQ(reader.next(), "bb");
  EXPECT_EQ(reader.next(), "");
  EXPECT_EQ(reader.next(), "ccc");
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_EQ(reader.partial_bytes(), 2u);
}

TEST(WorkerProtocolFrames, ReaderAcceptsALineExactlyAtTheLimit) {
  frame_reader reader(8);
  ASSERT_TRUE(reader.append("1234").has_value());
  ASSERT_TRUE(reader.append("5678\n").has_value());
  EXPECT_EQ(reader.next(), "12345678");
}

TEST(WorkerProtocolFrames, ReaderRefusesALineOverTheLimitForGood) {
  frame_reader reader(8);
  ASSERT_TRUE(reader.append("ok\n1234").has_value());
  auto appended = reader.append("56789");
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().subject, "worker message");
  EXPECT_NE(appended.error().problem.find("8 bytes"), std::string::npos) << appended.error().problem;
  // A complete line inside the same chunk does not save it: the stream cannot be resynchronised.
  EXPECT_FALSE(reader.append("\n{}\n").has_value());
}

TEST(WorkerProtocolFrames, ReaderRefusesAnOverlongLineEvenWhenItsNewlineIsInTheSameChunk) {
  frame_reader reader(4);
  EXPECT_FALSE(reader.append("123456\n").has_value());
}

TEST(WorkerProtocolFrames, EncodedMessageIsOneLineEvenWithNewlinesInStrings) {
  const json message{{"id", 3}, {"type", "echo"}, {"text", "line one\nline two\r\n"}};
  auto frame = encode_frame(message);
  ASSERT_TRUE(frame.has_value()) << frame.error().to_string();
  ASSERT_FALSE(frame->empty());
  EXPECT_EQ(frame->back(), '\n');
  EXPECT_EQ(frame->find('\n'), frame->size() - 1);
  auto decoded = decode_frame(std::string_view(*frame).substr(0, frame->size() - 1));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, message);
}

TEST(WorkerProtocolFrames, EncodeReplacesInvalidUtf8InsteadOfFailing) {
  const json message{{"log", std::string("ok \xff\xfe bytes")}};
  auto frame = encode_frame(message);
  ASSERT_TRUE(frame.has_value()) << frame.error().to_string();
  auto decoded = decode_frame(std::string_view(*frame).substr(0, frame->size() - 1));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ((*decoded)["log"], "ok \xEF\xBF\xBD\xEF\xBF\xBD bytes");  // two U+FFFD
}

TEST(WorkerProtocolFrames, EncodeRefusesAMessageOverTheLimit) {
  const json message{{"data", std::string(100, 'x')}};
  auto frame = encode_frame(message, 50);
  ASSERT_FALSE(frame.has_value());
  EXPECT_NE(frame.error().problem.find("over the 50 bytes limit"), std::string::npos) << frame.error().problem;
  EXPECT_TRUE(encode_frame(message, 200).has_value());
}

TEST(WorkerProtocolFrames, DecodeReportsMalformedJsonAndQuotesTheLine) {
  auto decoded = decode_frame("{\"id\": 1, oops");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().subject.find("{\"id\": 1, oops"), std::string::npos) << decoded.error().subject;
  EXPECT_NE(decoded.error().problem.find("not JSON"), std::string::npos) << decoded.error().problem;
}

TEST(WorkerProtocolFrames, ErrorsRoundTripThroughJsonAndMissingFieldsReadEmpty) {
  const error original{"kernel.cu:12", "does not compile", "declare x"};
  const error back = error_from_json(error_to_json(original));
  EXPECT_EQ(back.subject, original.subject);
  EXPECT_EQ(back.problem, original.problem);
  EXPECT_EQ(back.fix, original.fix);
  const error partial = error_from_json(json{{"problem", "only this"}, {"fix", 3}});
  EXPECT_EQ(partial.subject, "");
  EXPECT_EQ(partial.problem, "only this");
  EXPECT_EQ(partial.fix, "");
  EXPECT_EQ(error_from_json(json("not an object")).problem, "");
}

// ---- the channel --------------------------------------------------------------------------------

class WorkerProtocolChannel : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe(fds_), 0);  // deliberately without O_CLOEXEC: open_worker_io must set it
    ::unsetenv(worker_channel_env);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
    ::unsetenv(worker_channel_env);
  }
  [[nodiscard]] std::string spec() const { return std::to_string(fds_[0]) + "," + std::to_string(fds_[1]); }

  int fds_[2] = {-1, -1};
};

TEST_F(WorkerProtocolChannel, TakesTwoInheritedDescriptorsAndMakesThemCloseOnExec) {
  auto io = open_worker_io(spec());
  ASSERT_TRUE(io.has_value()) << io.error().to_string();
  EXPECT_EQ(io->read_fd, fds_[0]);
  EXPECT_EQ(io->write_fd, fds_[1]);
  EXPECT_NE(::fcntl(fds_[0], F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(fds_[1], F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(WorkerProtocolChannel, ReadsTheEnvironmentAndRemovesItForSubprocesses) {
  ASSERT_EQ(::setenv(worker_channel_env, spec().c_str(), 1), 0);
  auto io = open_worker_io();
  ASSERT_TRUE(io.has_value()) << io.error().to_string();
  EXPECT_EQ(io->read_fd, fds_[0]);
  EXPECT_EQ(std::getenv(worker_channel_env), nullptr);
}

TEST_F(WorkerProtocolChannel, WithoutSpecOrEnvironmentSaysSoAndNamesTheVariable) {
  auto io = open_worker_io();
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error().subject, worker_channel_env);
  EXPECT_NE(io.error().problem.find("not set"), std::string::npos);
  EXPECT_NE(io.error().fix.find("stdio"), std::string::npos);
}

TEST_F(WorkerProtocolChannel, RejectsMalformedSpecsAndClosedDescriptors) {
  for (const std::string bad : {"3", "a,b", "-1,4", "3,4,5", " 3,4", "stdio2"}) {
    auto io = open_worker_io(bad);
    ASSERT_FALSE(io.has_value()) << bad;
    EXPECT_EQ(io.error().subject, worker_channel_env) << bad;
    EXPECT_NE(io.error().problem.find(bad), std::string::npos) << io.error().problem;
  }
  const std::string same = std::to_string(fds_[0]) + "," + std::to_string(fds_[0]);
  auto twice = open_worker_io(same);
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().problem.find("same descriptor"), std::string::npos) << twice.error().problem;

  auto closed = open_worker_io("900,901");
  ASSERT_FALSE(closed.has_value());
  EXPECT_NE(closed.error().problem.find("descriptor 900"), std::string::npos) << closed.error().problem;
  EXPECT_NE(closed.error().problem.find("not open"), std::string::npos) << closed.error().problem;
}

// ---- serve_worker -------------------------------------------------------------------------------

// serve_worker on a thread of this process, fed and read through real pipes.
class served_worker {
 public:
  explicit served_worker(std::map<std::string, worker_handler> handlers) : handlers_(std::move(handlers)) {
    if (::pipe2(requests_, O_CLOEXEC) != 0 || ::pipe2(replies_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    thread_ = std::thread([this] { exit_code_ = serve_worker(worker_io{requests_[0], replies_[1]}, handlers_); });
  }
  ~served_worker() {
    finish();
    ::close(replies_[0]);
  }
  served_worker(const served_worker&) = delete;
  served_worker& operator=(const served_worker&) = delete;

  void send(std::string_view bytes) const {
    while (!bytes.empty()) {
      const ssize_t n = ::write(requests_[1], bytes.data(), bytes.size());
      ASSERT_GT(n, 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// The next reply, or a JSON string saying why there is none (so a failing test does not hang).
  json receive() {
    for (;;) {
      if (auto line = reader_.next()) return json::parse(*line);
      pollfd in{replies_[0], POLLIN, 0};
      if (::poll(&in, 1, 2000) <= 0) return "no reply within 2 s";
      char buffer[4096];
      const ssize_t n = ::read(replies_[0], buffer, sizeof buffer);
      if (n <= 0) return "reply channel closed";
      if (!reader_.append(std::string_view(buffer, static_cast<std::size_t>(n)))) return "reply too long";
    }
  }

  /// Closes the request channel and returns serve_worker's exit code.
  int finish() {
    if (requests_[1] >= 0) {
      ::close(requests_[1]);
      requests_[1] = -1;
    }
    if (thread_.joinable()) thread_.join();
    return exit_code_;
  }

 private:
  std::map<std::string, worker_handler> handlers_;
  int requests_[2] = {-1, -1};
  int replies_[2] = {-1, -1};
  int exit_code_ = -1;
  frame_reader reader_;
  std::thread thread_;
};

std::map<std::string, worker_handler> sample_handlers() {
  return {
      {"echo", [](const json& request) -> result<json> { return request; }},
      {"refuse", [](const json&) -> result<json> { return fail("kernel.cu:3", "bad launch bounds", "use 256"); }},
      {"throw", [](const json&) -> result<json> { throw std::runtime_error("boom"); }},
  };
}

TEST(WorkerProtocolServe, PingReportsPidVersionAndProtocol) {
  served_worker worker(sample_handlers());
  worker.send("{\"id\": 1, \"type\": \"ping\"}\n");
  const json reply = worker.receive();
  ASSERT_TRUE(reply.is_object()) << reply;
  EXPECT_EQ(reply["id"], 1);
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["result"]["pid"], ::getpid());
  EXPECT_EQ(reply["result"]["protocol"], worker_protocol_version);
  EXPECT_EQ(reply["result"]["version"], std::string("ksearch ") + KSEARCH_VERSION);
  EXPECT_EQ(worker.finish(), worker_exit_eof);
}

TEST(WorkerProtocolServe, AnswersRequestsSentTogetherInOrder) {
  served_worker worker(sample_handlers());
  worker.send("{\"id\": 1, \"type\": \"echo\", \"n\": 10}\n{\"id\": 2, \"type\": \"echo\", \"n\": 20}\n"
              "{\"id\": 3, \"type\": \"echo\", \"n\": 30}\n");
  for (int i = 1; i <= 3; ++i) {
    const json reply = worker.receive();
    ASSERT_TRUE(reply.is_object()) << reply;
    EXPECT_EQ(reply["id"], i);
    EXPECT_EQ(reply["ok"], true);
    EXPECT_EQ(reply["result"]["n"], 10 * i);
    EXPECT_EQ(reply["result"]["type"], "echo");
  }
}

TEST(WorkerProtocolServe, UnknownTypeGetsAnErrorListingKnownTypesAndServingGoesOn) {
  served_worker worker(sample_handlers());
  worker.send("{\"id\": 7, \"type\": \"measure\"}\n");
  const json reply = worker.receive();
  ASSERT_TRUE(reply.is_object()) << reply;
  EXPECT_EQ(reply["id"], 7);
  EXPECT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["error"]["subject"], "worker request 7 'measure'");
  EXPECT_EQ(reply["error"]["problem"], "unknown request type");
  EXPECT_EQ(reply["error"]["fix"], "known types: ping, echo, refuse, throw");
  worker.send("{\"id\": 8, \"type\": \"echo\"}\n");
  EXPECT_EQ(worker.receive()["ok"], true);
}

TEST(WorkerProtocolServe, HandlerErrorsAndExceptionsBecomeErrorReplies) {
  served_worker worker(sample_handlers());
  worker.send("{\"id\": 1, \"type\": \"refuse\"}\n{\"id\": 2, \"type\": \"throw\"}\n");
  const json refused = worker.receive();
  ASSERT_TRUE(refused.is_object()) << refused;
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["error"], json({{"subject", "kernel.cu:3"}, {"problem", "bad launch bounds"}, {"fix", "use 256"}}));
  const json thrown = worker.receive();
  ASSERT_TRUE(thrown.is_object()) << thrown;
  EXPECT_EQ(thrown["id"], 2);
  EXPECT_EQ(thrown["ok"], false);
  EXPECT_EQ(thrown["error"]["problem"], "the handler threw: boom");
  worker.send("{\"id\": 3, \"type\": \"echo\"}\n");
  EXPECT_EQ(worker.receive()["ok"], true);
}

TEST(WorkerProtocolServe, MalformedRequestsGetErrorRepliesAndServingGoesOn) {
  served_worker worker(sample_handlers());
  worker.send("not json at all\n[1, 2]\n{\"type\": \"echo\"}\n{\"id\": 5}\n{\"id\": \"6\", \"type\": \"echo\"}\n");
  const json not_json = worker.receive();
  ASSERT_TRUE(not_json.is_object()) << not_json;
  EXPECT_TRUE(not_json["id"].is_null());
  EXPECT_EQ(not_json["ok"], false);
  EXPECT_NE(not_json["error"]["subject"].get<std::string>().find("not json at all"), std::string::npos);
  const json not_object = worker.receive();
  EXPECT_TRUE(not_object["id"].is_null());
  EXPECT_EQ(not_object["error"]["problem"], "is not a JSON object");
  const json no_id = worker.receive();
  EXPECT_TRUE(no_id["id"].is_null());
  EXPECT_EQ(no_id["error"]["subject"], "worker request.id");
  const json no_type = worker.receive();
  EXPECT_EQ(no_type["id"], 5);
  EXPECT_EQ(no_type["error"]["subject"], "worker request 5.type");
  const json string_id = worker.receive();
  EXPECT_TRUE(string_id["id"].is_null());
  EXPECT_EQ(string_id["ok"], false);
  worker.send("{\"id\": 9, \"type\": \"echo\"}\n");
  EXPECT_EQ(worker.receive()["id"], 9);
  EXPECT_EQ(worker.finish(), worker_exit_eof);
}

TEST(WorkerProtocolServe, RegisteringPingOrAnEmptyHandlerIsASetupBug) {
  const worker_io unused{-1, -1};
  std::map<std::string, worker_handler> with_ping{{"ping", [](const json&) -> result<json> { return json(); }}};
  EXPECT_THROW((void)serve_worker(unused, with_ping), std::invalid_argument);
  std::map<std::string, worker_handler> with_empty{{"run", worker_handler()}};
  EXPECT_THROW((void)serve_worker(unused, with_empty), std::invalid_argument);
}

TEST(WorkerProtocolServe, ExitsWhenTheParentLeavesWhileAHandlerHangs) {
  int requests[2];
  int replies[2];
  ASSERT_EQ(::pipe2(requests, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(replies, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(requests[1]);
    ::close(replies[0]);
    const std::map<std::string, worker_handler> hanging{{"hang", [](const json&) -> result<json> {
                                                           for (;;) ::pause();
                                                         }}};
    ::_exit(serve_worker(worker_io{requests[0], replies[1]}, hanging));
  }
  ::close(requests[0]);
  ::close(replies[1]);
  const std::string request = "{\"id\": 1, \"type\": \"hang\"}\n";
  ASSERT_EQ(::write(requests[1], request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::this_thread::sleep_for(50ms);  // let the handler start
  const auto closed_at = std::chrono::steady_clock::now();
  ::close(requests[1]);

  int status = 0;
  pid_t reaped = 0;
  while ((reaped = ::waitpid(child, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() - closed_at < 3s) {
    std::this_thread::sleep_for(10ms);
  }
  if (reaped == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "the worker kept running after its parent closed the channel";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - closed_at, 1500ms);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), worker_exit_orphaned);
  ::close(replies[0]);
}

}  // namespace
}  // namespace ksearch::eval
