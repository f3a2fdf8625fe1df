// `ksearch doctor` as a real process against a real loopback endpoint. The GPU checks adapt to the
// machine: without a driver they must say "no CUDA driver" (SKIP with --allow-no-gpu, else FAIL);
// on a GPU box they must pass.
#include <gtest/gtest.h>

#include "ksearch/common/json.h"

#include "support/loopback_http_server.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

using test_support::loopback_http_server;
using test_support::received_request;
using test_support::run_ksearch;
using test_support::scripted_response;

const std::string secret = "sk-doctor-test-abcdefghijklmnopqrstuvwx";

// An OpenAI-compatible endpoint that knows one model and answers "ok"; it checks the key.
scripted_response fake_openai(const received_request& request) {
  if (request.header("authorization") != "Bearer " + secret) {
    return {401, {{"Content-Type", "application/json"}},
            R"({"error":{"message":"Incorrect API key provided: )" + request.header("authorization") + R"("}})"};
  }
  if (request.method == "GET" && request.path == "/v1/models") {
    return {200, {{"Content-Type", "application/json"}},
            R"({"object":"list","data":[{"id":"other-model"},{"id":"test-model"}]})"};
  }
  if (request.method == "POST" && request.path == "/v1/chat/completions") {
    return {200, {{"Content-Type", "application/json"}},
            R"({"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],)"
            R"("usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":13}})"};
  }
  return {404, {}, "not found"};
}

std::map<std::string, json> checks_by_name(const json& report) {
  std::map<std::string, json> out;
  for (const json& check : report["checks"]) out[check["name"].get<std::string>()] = check;
  return out;
}

TEST(CmdDoctor, AllChecksAgainstALiveEndpoint) {
  loopback_http_server server(fake_openai);
  test_support::temp_dir dir;
  const auto artifacts = dir.path() / "artifacts";
  auto r = run_ksearch({"doctor", "--json", "--allow-no-gpu", "--live", "--base-url", server.url("/v1"),
                        "--model-name", "test-model", "--artifacts-dir", artifacts.string()},
                       {{"LLM_API_KEY", secret}, {"OPENAI_API_KEY", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json report = json::parse(r.out);
  EXPECT_TRUE(report["ok"]);
  auto checks = checks_by_name(report);

  const json& driver = checks["cuda driver"];
  if (driver["status"] == "SKIP") {
    EXPECT_NE(driver["detail"].get<std::string>().find("no CUDA driver"), std::string::npos) << driver;
    EXPECT_EQ(checks["gpu launch"]["status"], "SKIP");
  } else {
    EXPECT_EQ(driver["status"], "OK") << driver;
    EXPECT_EQ(checks["gpu launch"]["status"], "OK") << checks["gpu launch"];
  }
  EXPECT_EQ(checks["nvrtc compile"]["status"], "OK") << checks["nvrtc compile"];
  EXPECT_EQ(checks["llm endpoint"]["status"], "OK") << checks["llm endpoint"];
  EXPECT_NE(checks["llm endpoint"]["detail"].get<std::string>().find("2 models"), std::string::npos);
  EXPECT_NE(checks["llm endpoint"]["detail"].get<std::string>().find("key from LLM_API_KEY"), std::string::npos);
  EXPECT_EQ(checks["llm model"]["status"], "OK");
  EXPECT_EQ(checks["llm completion"]["status"], "OK") << checks["llm completion"];
  EXPECT_NE(checks["llm completion"]["detail"].get<std::string>().find("'ok'"), std::string::npos);
  EXPECT_EQ(checks["artifacts dir"]["status"], "OK");
  EXPECT_TRUE(std::filesystem::is_directory(artifacts));
  EXPECT_EQ(checks["bundled tasks"]["status"], "OK");
  // The oracle is reported, and never fails the doctor: torch is missing on CI, present on a GPU box.
  ASSERT_TRUE(checks.contains("pytorch oracle"));
  EXPECT_NE(checks["pytorch oracle"]["status"], "FAIL") << checks["pytorch oracle"];
  if (checks["pytorch oracle"]["status"] == "SKIP") {
    EXPECT_NE(checks["pytorch oracle"]["fix"].get<std::string>().find("pip install torch safetensors"), std::string::npos);
  }
  EXPECT_EQ(r.out.find(secret), std::string::npos);
  EXPECT_EQ(r.err.find(secret), std::string::npos);

  // The endpoint saw the probes, with the key.
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].path, "/v1/chat/completions");
}

TEST(CmdDoctor, MissingGpuIsAFailureWithAFixUnlessAllowed) {
  auto r = run_ksearch({"doctor", "--offline"});
  if (r.err.find("no CUDA driver") == std::string::npos) {
    GTEST_SKIP() << "this machine has a CUDA driver; the no-GPU report cannot be seen here";
  }
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("[FAIL] cuda driver"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("libcuda.so.1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[  OK] nvrtc compile"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[SKIP] llm endpoint"), std::string::npos) << r.err;
}

TEST(CmdDoctor, AWrongKeyFailsTheEndpointCheckWithoutEchoingTheKey) {
  loopback_http_server server(fake_openai);
  test_support::temp_dir dir;
  const std::string wrong = "sk-wrong-key-0123456789abcdefghijk";
  auto r = run_ksearch({"doctor", "--json", "--allow-no-gpu", "--base-url", server.url("/v1"), "--artifacts-dir",
                        dir.path().string()},
                       {{"LLM_API_KEY", ""}, {"OPENAI_API_KEY", wrong}});
  EXPECT_EQ(r.exit_code, 1);
  auto checks = checks_by_name(json::parse(r.out));
  EXPECT_EQ(checks["llm endpoint"]["status"], "FAIL");
  EXPECT_NE(checks["llm endpoint"]["detail"].get<std::string>().find("401"), std::string::npos) << checks["llm endpoint"];
  EXPECT_NE(checks["llm endpoint"]["fix"].get<std::string>().find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_EQ(r.out.find(wrong), std::string::npos) << "the server echoed the key and doctor printed it";
}

TEST(CmdDoctor, ADeadEndpointAndAnUnlistedModelAreReportedNotFatal) {
  test_support::temp_dir dir;
  const std::string dead = "http://127.0.0.1:" + std::to_string(test_support::unused_loopback_port()) + "/v1";
  auto r = run_ksearch({"doctor", "--allow-no-gpu", "--base-url", dead, "--artifacts-dir", dir.path().string()},
                       {{"LLM_API_KEY", secret}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("[FAIL] llm endpoint"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[SKIP] llm model"), std::string::npos) << r.err;

  loopback_http_server server(fake_openai);
  auto unlisted = run_ksearch({"doctor", "--allow-no-gpu", "--base-url", server.url("/v1"), "--model-name",
                               "gpt-nonexistent", "--artifacts-dir", dir.path().string()},
                              {{"LLM_API_KEY", secret}});
  EXPECT_EQ(unlisted.exit_code, 1);
  EXPECT_NE(unlisted.err.find("[FAIL] llm model"), std::string::npos) << unlisted.err;
  EXPECT_NE(unlisted.err.find("'gpt-nonexistent' is not among"), std::string::npos) << unlisted.err;
}

}  // namespace
}  // namespace ksearch::cli
