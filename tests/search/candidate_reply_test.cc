#include "ksearch/search/candidate_reply.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ksearch/common/json.h"

namespace ksearch::search {
namespace {

const candidate_identity id{"gpt_scale_add_d256_cuda_r3", "scale_add_d256", "gpt-test", "H100"};

const std::string kernel =
    "extern \"C\" __global__ void scale_add(const float* x, const float* y, float alpha, float* out, long long n) {\n"
    "  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
    "  if (i < n) out[i] = alpha * x[i] + y[i];\n"
    "}\n";
const std::string plan =
    "{\n  \"let\": [{\"n\": \"rows * dim\"}],\n  \"steps\": [{\"kernel\": \"scale_add\", \"grid\": [\"ceil_div(n, "
    "256)\"],"
    " \"block\": [256], \"args\": [\"x\", \"y\", \"alpha\", \"out\", {\"i64\": \"n\"}]}]\n}\n";

std::string tagged(const std::string& k, const std::string& p) {
  return "<file path=\"kernel.cu\">\n" + k + "</file>\n\n<file path=\"launch.json\">\n" + p + "</file>\n";
}

std::string failure(std::string_view reply) {
  auto s = parse_candidate_reply(reply, id);
  return s ? "parsed" : s.error().to_string();
}

void expect_candidate(const result<tasks::solution>& s, const std::string& k = kernel, const std::string& p = plan) {
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  ASSERT_EQ(s->sources.size(), 2u);
  EXPECT_EQ(s->sources[0].path, "kernel.cu");
  EXPECT_EQ(s->sources[0].content, k);
  EXPECT_EQ(s->sources[1].path, "launch.json");
  EXPECT_EQ(s->sources[1].content, p);
  EXPECT_EQ(s->language, "cuda");
}

TEST(CandidateReply, TaggedFilesWithProseAround) {
  const std::string reply = "Here is the kernel. It uses one thread per element.\n\n" + tagged(kernel, plan) +
                            "\nThis should be memory-bound; next I would vectorize.\n";
  auto s = parse_candidate_reply(reply, id);
  expect_candidate(s);
  EXPECT_EQ(s->name, id.name);
  EXPECT_EQ(s->definition, id.definition);
  EXPECT_EQ(s->author, id.author);
  EXPECT_NE(s->description.find("H100"), std::string::npos);
  for (const auto& f : s->sources) {
    EXPECT_EQ(f.content.find("memory-bound"), std::string::npos) << "no prose in sources";
  }
}

TEST(CandidateReply, KSearchTagsAndFencesInsideTags) {
  const std::string reply = "<cuda_file name=\"kernel.cu\">\n```cuda\n" + kernel +
                            "```\n</cuda_file>\n<json_file name=\"launch.json\">\n```json\n" + plan +
                            "```\n</json_file>";
  expect_candidate(parse_candidate_reply(reply, id));
}

TEST(CandidateReply, FencedBlocksWithProseAround) {
  const std::string reply = "Plan first:\n\n```json\n" + plan + "```\n\nThen the device code:\n\n```cu\n" + kernel +
                            "```\n\nA second variant I did not choose:\n```cuda\n// other\n```\n";
  expect_candidate(parse_candidate_reply(reply, id));
}

TEST(CandidateReply, MissingFilesSayHowToSendThem) {
  EXPECT_EQ(failure("<file path=\"launch.json\">\n" + plan + "</file>"),
            "kernel.cu: the reply has no kernel.cu (fix: wrap the device code in <file path=\"kernel.cu\">...</file>)");
  EXPECT_EQ(failure("I could not do it."),
            "kernel.cu: the reply has no kernel.cu (fix: wrap the device code in <file path=\"kernel.cu\">...</file>)");
  EXPECT_EQ(failure("<file path=\"kernel.cu\">\n" + kernel + "</file>"),
            "launch.json: the reply has no launch.json (fix: add the launch plan as <file path=\"launch.json\">"
            "{\"steps\": [...]}</file> after kernel.cu)");
  EXPECT_EQ(failure("```cuda\n" + kernel + "```\n"), failure("<file path=\"kernel.cu\">\n" + kernel + "</file>"));
  EXPECT_EQ(failure(tagged("\n  \n", plan)).substr(0, 20), "kernel.cu: is empty ");
}

TEST(CandidateReply, InvalidJsonNamesTheLine) {
  const std::string bad_plan = "{\n  \"steps\": [\n    {\"kernel\": scale_add}\n  ]\n}\n";
  const std::string message = failure(tagged(kernel, bad_plan));
  EXPECT_TRUE(message.starts_with("launch.json: is not valid JSON: line 3, column")) << message;
  EXPECT_NE(message.find("fix: send strict JSON"), std::string::npos) << message;
  EXPECT_TRUE(failure(tagged(kernel, "{\"steps\": [],}\n")).starts_with("launch.json: is not valid JSON: line 1"))
      << "no repair";
  EXPECT_EQ(failure(tagged(kernel, "[1, 2]\n")),
            "launch.json: must be a JSON object, not array (fix: send the plan as one object: "
            "{\"let\": [...], \"workspaces\": [...], \"steps\": [...]})");
}

TEST(CandidateReply, TruncatedRepliesAreReportedAsCutOff) {
  const std::string cut_plan = tagged(kernel, plan).substr(0, tagged(kernel, plan).size() - 20);
  EXPECT_TRUE(failure(cut_plan).starts_with(
      "launch.json: the reply was cut off inside launch.json (fix: send both files complete"))
      << failure(cut_plan);
  const std::string cut_kernel = "<file path=\"kernel.cu\">\n" + kernel.substr(0, 60);
  EXPECT_TRUE(failure(cut_kernel).starts_with("kernel.cu: the reply was cut off inside kernel.cu"))
      << failure(cut_kernel);
  const std::string cut_fence = "```cuda\n" + kernel + "```\n```json\n{\"steps\": [";
  EXPECT_TRUE(failure(cut_fence).starts_with("launch.json: the reply was cut off inside launch.json"))
      << failure(cut_fence);
}

TEST(CandidateReply, ACutOffFileIsKnownByTheParsersFieldNotByItsMessage) {
  // An unclosed element whose name only ends in "kernel.cu" (quoted with ' so that it can hold a
  // ") reads like kernel.cu in the message: <file path="notes"kernel.cu">. It is not kernel.cu.
  const std::string reply = "<file path=\"launch.json\">\n" + plan + "</file>\n<file path='notes\"kernel.cu'>\nsee";
  EXPECT_TRUE(failure(reply).starts_with("kernel.cu: the reply has no kernel.cu")) << failure(reply);
}

TEST(CandidateReply, OtherFilesAreRejected) {
  const std::string reply = tagged(kernel, plan) + "<cpp_file name=\"main.cpp\">\nint main() {}\n</cpp_file>\n";
  const std::string message = failure(reply);
  EXPECT_TRUE(message.starts_with("main.cpp: is not part of a candidate (line 14)")) << message;
  // Elements that are not files are prose.
  expect_candidate(parse_candidate_reply(tagged(kernel, plan) + "<a name=\"x\">see above</a>\n", id));
}

TEST(CandidateReply, IdentityMustNameTheSolution) {
  EXPECT_EQ(parse_candidate_reply(tagged(kernel, plan), {"", "d", "a", "H100"}).error().subject,
            "candidate_identity.name");
  EXPECT_EQ(parse_candidate_reply(tagged(kernel, plan), {"n", "", "a", "H100"}).error().subject,
            "candidate_identity.definition");
}

TEST(CandidateReply, CodeViewRoundTrips) {
  auto first = parse_candidate_reply("Some words.\n```cuda\n" + kernel + "```\n```json\n" + plan + "```\n", id);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  const std::string view = code_view_for_prompt(*first);
  EXPECT_EQ(view, tagged(kernel, plan));
  auto again = parse_candidate_reply(view, id);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(tasks::to_json(*again), tasks::to_json(*first));
}

TEST(CandidateReply, CodeViewOfADatasetSolutionRoundTrips) {
  auto stored = tasks::load_solution(std::filesystem::path(KSEARCH_TEST_DATA_DIR) /
                                     "flashinfer-mini/solutions/elementwise/scale_add_vec4.json");
  ASSERT_TRUE(stored.has_value()) << stored.error().to_string();
  auto parsed = parse_candidate_reply(code_view_for_prompt(*stored), id);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  ASSERT_EQ(parsed->sources.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string* original = stored->source(parsed->sources[i].path);
    ASSERT_NE(original, nullptr);
    // The reply format normalises the file's end to one line break.
    std::string expected = *original;
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    EXPECT_EQ(parsed->sources[i].content, expected + "\n");
  }
  EXPECT_EQ(json::parse(*parsed->source("launch.json")),
            json::parse(*stored->source("launch.json")));
}

}  // namespace
}  // namespace ksearch::search
