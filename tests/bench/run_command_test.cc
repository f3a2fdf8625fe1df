// Real child processes: output, exit codes, signals, a deadline that kills a whole process group.
#include "ksearch/bench/run_command.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace ksearch::bench {
namespace {

using std::chrono::milliseconds;

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
}  // namespace ksearch::bench
