// A worker for the worker_process tests: serve_worker with handlers that misbehave on request
// (crash, hang, spam, corrupt the stream). Built as its own executable (ksearch_test_worker); the
// .cpp suffix keeps it out of the tests' *.cc globs.
//
//   ksearch_test_worker [--protocol R,W|stdio]     (default: the KSEARCH_WORKER_FDS variable)
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "ksearch/common/json.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/isolation/worker_protocol.h"

namespace {

using ksearch::eval::worker_message;
using ksearch::result;
using ksearch::eval::worker_handler;

void write_fd(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

[[noreturn]] void hang() {
  for (;;) ::pause();
}

std::map<std::string, worker_handler> handlers(int protocol_write_fd) {
  std::map<std::string, worker_handler> table;
  table["echo"] = [](const worker_message& request) -> result<worker_message> { return request; };
  table["sleep"] = [](const worker_message& request) -> result<worker_message> {
    const int ms = request.at("ms").get<int>();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return worker_message{{"slept_ms", ms}};
  };
  table["abort"] = [](const worker_message&) -> result<worker_message> {
    write_fd(STDERR_FILENO, "about to abort\n");
    std::abort();
  };
  table["segfault"] = [](const worker_message&) -> result<worker_message> {
    write_fd(STDOUT_FILENO, "about to segfault\n");
    ::raise(SIGSEGV);
    hang();
  };
  table["exit"] = [](const worker_message& request) -> result<worker_message> {
    std::printf("exiting with %d\n", request.at("code").get<int>());
    std::exit(request.at("code").get<int>());  // flushes stdout on the way out
  };
  // `mb` MiB to stdout and as much to stderr, in 64 KiB writes, then a last line on stderr.
  table["spam"] = [](const worker_message& request) -> result<worker_message> {
    const std::string block(std::size_t{1} << 16, 's');
    const int blocks = request.at("mb").get<int>() * 16;
    for (int i = 0; i < blocks; ++i) {
      write_fd(STDOUT_FILENO, block);
      write_fd(STDERR_FILENO, block);
    }
    write_fd(STDERR_FILENO, "\nspam done\n");
    return worker_message{{"bytes", 2LL * blocks * static_cast<long long>(block.size())}};
  };
  // The grandchild shares the worker's process group; only a group kill ends it.
  table["fork_and_hang"] = [](const worker_message&) -> result<worker_message> {
    const pid_t grandchild = ::fork();
    if (grandchild == 0) hang();
    write_fd(STDOUT_FILENO, "grandchild " + std::to_string(grandchild) + "\n");
    hang();
  };
  table["big"] = [](const worker_message& request) -> result<worker_message> {
    return worker_message{{"data", std::string(request.at("bytes").get<std::size_t>(), 'x')}};
  };
  table["garbage"] = [protocol_write_fd](const worker_message&) -> result<worker_message> {
    write_fd(protocol_write_fd, "this is not json\n");
    return worker_message::object();
  };
  table["fail"] = [](const worker_message& request) -> result<worker_message> {
    return ksearch::fail(request.at("subject").get<std::string>(), "the handler said no", "ask nicely");
  };
  table["throw"] = [](const worker_message&) -> result<worker_message> { throw std::runtime_error("thrown on purpose"); };
  // Text to stdout through C stdio and std::cout: in stdio mode neither may reach the protocol.
  table["print"] = [](const worker_message& request) -> result<worker_message> {
    const std::string text = request.at("text").get<std::string>();
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    std::cout << text << std::endl;
    return worker_message::object();
  };
  table["env"] = [](const worker_message& request) -> result<worker_message> {
    const char* value = std::getenv(request.at("name").get<std::string>().c_str());
    return worker_message{{"value", value != nullptr ? worker_message(value) : worker_message()},
                {"cwd", std::filesystem::current_path().string()}};
  };
  // A stand-in for the evaluator: every workload of the request PASSED with latency = its position
  // in the request + 1 [ms] (one whose uuid starts with "fail" fails and ends the evaluation), after sleeping the milliseconds named by the candidate ("sleep:MS"),
  // so pool tests can run without a GPU. The reply's log is the worker's pid, and its Slurm job id
  // when it runs under srun.
  table["evaluate"] = [](const worker_message& request) -> result<worker_message> {
    auto parsed = ksearch::eval::eval_request_from_json(request);
    if (!parsed) return std::unexpected(parsed.error());
    const std::string& name = parsed->candidate.name;
    if (name.starts_with("sleep:")) std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(name.substr(6))));
    ksearch::eval::eval_result r;
    r.log = std::to_string(::getpid());
    if (const char* job = std::getenv("SLURM_JOB_ID")) r.log += std::string(" slurm job ") + job;
    for (const ksearch::tasks::workload& w : parsed->workloads) {
      ksearch::eval::workload_result wr;
      wr.uuid = w.uuid;
      wr.latency_ms = static_cast<double>(r.workloads.size() + 1);
      r.workloads.push_back(wr);
      if (w.uuid.starts_with("fail")) {  // fails, and ends the evaluation as the evaluator does
        r.workloads.back().status = r.status = ksearch::tasks::evaluation_status::incorrect_numerical;
        r.workloads.back().log = "failed on purpose";
        break;
      }
    }
    return worker_message(ksearch::eval::to_json(r));
  };
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--protocol" && i + 1 < argc) {
      spec = argv[++i];
    } else {
      std::cerr << "usage: ksearch_test_worker [--protocol R,W|stdio]\n";
      return 2;
    }
  }
  auto io = ksearch::eval::open_worker_io(spec);
  if (!io) {
    std::cerr << "ksearch_test_worker: " << io.error().to_string() << "\n";
    return 2;
  }
  return ksearch::eval::serve_worker(*io, handlers(io->write_fd));
}
