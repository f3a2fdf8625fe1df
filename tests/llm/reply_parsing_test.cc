#include "ksearch/llm/reply_parsing.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"

namespace ksearch::llm {
namespace {

// ---- fenced code blocks ----

TEST(ReplyParsing, CodeBlocksWithLanguagesAndLineNumbers) {
  const std::string text =
      "Here is the kernel:\n"
      "```cuda\n"
      "__global__ void k(float* x) {\n"
      "  x[0] = 1.f;\n"
      "}\n"
      "```\n"
      "and the plan:\n"
      "~~~JSON {.numberLines}\n"
      "{\"steps\": []}\n"
      "~~~\n"
      "```\n"
      "plain\n"
      "```";
  const auto blocks = extract_code_blocks(text);
  ASSERT_EQ(blocks.size(), 3U);
  EXPECT_EQ(blocks[0].language, "cuda");
  EXPECT_EQ(blocks[0].code, "__global__ void k(float* x) {\n  x[0] = 1.f;\n}\n");
  EXPECT_EQ(blocks[0].line, 2U);
  EXPECT_TRUE(blocks[0].terminated);
  EXPECT_EQ(blocks[1].language, "json");
  EXPECT_EQ(blocks[1].info, "JSON {.numberLines}");
  EXPECT_EQ(blocks[1].code, "{\"steps\": []}\n");
  EXPECT_EQ(blocks[2].language, "");
  EXPECT_EQ(blocks[2].code, "plain\n");
  EXPECT_TRUE(blocks[2].terminated);  // a closing fence without a final newline still closes
}

TEST(ReplyParsing, NestedFencesOfTheSameLengthStayInsideTheirBlock) {
  const std::string text =
      "```markdown\n"
      "Use it like this:\n"
      "```cuda\n"
      "kernel<<<1, 1>>>();\n"
      "```\n"
      "Done.\n"
      "```\n"
      "```cpp\n"
      "int after;\n"
      "```\n";
  const auto blocks = extract_code_blocks(text);
  ASSERT_EQ(blocks.size(), 2U);
  EXPECT_EQ(blocks[0].language, "markdown");
  EXPECT_EQ(blocks[0].code, "Use it like this:\n```cuda\nkernel<<<1, 1>>>();\n```\nDone.\n");
  EXPECT_EQ(blocks[1].code, "int after;\n");
}

TEST(ReplyParsing, LongerFenceContainsShorterOnesAndTildesIgnoreBackticks) {
  const std::string text =
      "````\n"
      "```\n"
      "inner\n"
      "````\n"
      "~~~\n"
      "```\n"
      "~~~\n";
  const auto blocks = extract_code_blocks(text);
  ASSERT_EQ(blocks.size(), 2U);
  EXPECT_EQ(blocks[0].code, "```\ninner\n");
  EXPECT_EQ(blocks[1].code, "```\n");
}

TEST(ReplyParsing, UnterminatedBlockIsFlaggedAndNeverChosen) {
  const std::string text = "```cuda\n__global__ void k() {\n  // the reply was cut here";
  const auto blocks = extract_code_blocks(text);
  ASSERT_EQ(blocks.size(), 1U);
  EXPECT_FALSE(blocks[0].terminated);
  EXPECT_EQ(blocks[0].code, "__global__ void k() {\n  // the reply was cut here\n");
  EXPECT_FALSE(find_code_block(text, {"cuda"}).has_value());
}

TEST(ReplyParsing, InlineTriplesIndentedCodeAndCrlfAreHandled) {
  const std::string text =
      "Say ```not a fence``` here.\r\n"
      "    ```\r\n"          // four spaces: indented code, not a fence
      "   ```cu\r\n"         // three spaces: a fence
      "a;\r\n"
      "   ```\r\n";
  const auto blocks = extract_code_blocks(text);
  ASSERT_EQ(blocks.size(), 1U);
  EXPECT_EQ(blocks[0].language, "cu");
  EXPECT_EQ(blocks[0].code, "a;\n");
  EXPECT_EQ(blocks[0].line, 3U);
}

TEST(ReplyParsing, FindCodeBlockPicksTheFirstWantedLanguage) {
  const std::string text = "```python\nx\n```\n```CUDA\ny\n```\n```cuda\nz\n```\n";
  const auto block = find_code_block(text, {"cuda", "cu"});
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(block->code, "y\n");
  EXPECT_FALSE(find_code_block(text, {"rust"}).has_value());
  EXPECT_TRUE(extract_code_blocks("no fences at all").empty());
}

// ---- tagged files ----

TEST(ReplyParsing, TaggedFilesInBothConventions) {
  const std::string text =
      "I made two changes.\n"
      "<header_file name=\"kernel.h\">\n#pragma once\n</header_file>\n"
      "<cuda_file name='kernel.cu'>\n"
      "template <typename T> __global__ void k(T* x) { if (1 < 2 && 3 > 2) x[0] = T(1); }\n"
      "</CUDA_FILE>\n"
      "<file path=\"plan.json\" kind=\"launch\">{\"steps\": []}</file >\n";
  const tagged_files found = extract_tagged_files(text);
  EXPECT_TRUE(found.problems.empty());
  ASSERT_EQ(found.files.size(), 3U);
  EXPECT_EQ(found.files[0].tag, "header_file");
  EXPECT_EQ(found.files[0].name, "kernel.h");
  EXPECT_EQ(found.files[0].content, "#pragma once\n");
  EXPECT_EQ(found.files[0].line, 2U);
  EXPECT_EQ(found.files[1].name, "kernel.cu");
  EXPECT_EQ(found.files[1].content,
            "template <typename T> __global__ void k(T* x) { if (1 < 2 && 3 > 2) x[0] = T(1); }\n");
  EXPECT_EQ(found.files[2].name, "plan.json");
  EXPECT_EQ(found.files[2].content, "{\"steps\": []}\n");
  const tagged_file* cu = find_tagged_file(found, "kernel.cu");
  ASSERT_NE(cu, nullptr);
  EXPECT_EQ(cu->tag, "cuda_file");
  EXPECT_EQ(find_tagged_file(found, "main.cpp"), nullptr);
}

TEST(ReplyParsing, TaggedContentLosesCdataAndOneWrappingFenceOnly) {
  const std::string text =
      "<cuda_file name=\"a.cu\"><![CDATA[\n  int a;\n]]></cuda_file>\n"
      "<cuda_file name=\"b.cu\">\n```cuda\n\n  int b;\n```\n</cuda_file>\n"
      "<cuda_file name=\"c.cu\">\n```cuda\nint c;\n```\nint outside;\n</cuda_file>\n"
      "<cuda_file name=\"empty.cu\">\n\n</cuda_file>\n";
  const tagged_files found = extract_tagged_files(text);
  ASSERT_EQ(found.files.size(), 4U);
  EXPECT_EQ(found.files[0].content, "  int a;\n");  // the first line's indentation is kept
  EXPECT_EQ(found.files[1].content, "  int b;\n");
  EXPECT_EQ(found.files[2].content, "```cuda\nint c;\n```\nint outside;\n");  // not one fence around all
  EXPECT_EQ(found.files[3].content, "");
}

TEST(ReplyParsing, UnclosedFileIsReportedNotReturned) {
  const std::string text =
      "<cuda_file name=\"kernel.cu\">\n__global__ void k() {}\n"
      "<cpp_file name=\"main.cpp\">int main;</cpp_file>\n";
  const tagged_files found = extract_tagged_files(text);
  ASSERT_EQ(found.files.size(), 1U);
  EXPECT_EQ(found.files[0].name, "main.cpp");
  ASSERT_EQ(found.problems.size(), 1U);
  EXPECT_EQ(found.problems[0].to_string(),
            "line 1: <cuda_file name=\"kernel.cu\"> is never closed (expected </cuda_file>)");
}

TEST(ReplyParsing, AnUnclosedFileNamesItsFileAndProblemAsFields) {
  const std::string text = "prose\n<Cuda_File PATH='my \"kernel\".cu'>\nint k;\n</cuda_file2>";
  const tagged_files found = extract_tagged_files(text);
  EXPECT_TRUE(found.files.empty());
  ASSERT_EQ(found.problems.size(), 1U);
  const tag_problem& problem = found.problems[0];
  EXPECT_EQ(problem.what, tag_problem::kind::never_closed);
  EXPECT_EQ(problem.file, "my \"kernel\".cu");
  EXPECT_EQ(problem.tag, "Cuda_File");
  EXPECT_EQ(problem.attribute, "PATH");
  EXPECT_EQ(problem.line, 2U);
}

TEST(ReplyParsing, TagsWithoutAFileAttributeAndBrokenTagsAreIgnored) {
  const std::string text =
      "<b>bold</b> a < b, x<y> <file name=unquoted>no</file> <file path=\"x\"/> "
      "<file path=\"multi\nline\">no</file> <file name=\"ok\">yes</file>";
  const tagged_files found = extract_tagged_files(text);
  ASSERT_EQ(found.files.size(), 1U);
  EXPECT_EQ(found.files[0].name, "ok");
  EXPECT_EQ(found.files[0].content, "yes\n");
  EXPECT_TRUE(found.problems.empty());
}

TEST(ReplyParsing, DuplicateNamesAreAllReturnedInOrder) {
  const tagged_files found = extract_tagged_files("<file name=\"k.cu\">old</file> then <file name=\"k.cu\">new</file>");
  ASSERT_EQ(found.files.size(), 2U);
  EXPECT_EQ(find_tagged_file(found, "k.cu")->content, "old\n");
  EXPECT_EQ(found.files[1].content, "new\n");
}

// ---- JSON objects ----

TEST(ReplyParsing, JsonObjectInsideProseAndFences) {
  const std::string text =
      "Sure! Here is the update (using {braces} in prose):\n"
      "```json\n"
      "{\"ops\": [{\"op\": \"add\", \"note\": \"a } in a string, and a \\\" quote {\"}],\n"
      " \"active_leaf_id\": \"n3\"}\n"
      "```\n"
      "Let me know {if you need more}.";
  auto doc = extract_json_object(text);
  ASSERT_TRUE(doc.has_value()) << doc.error().to_string();
  EXPECT_EQ((*doc)["active_leaf_id"], "n3");
  EXPECT_EQ((*doc)["ops"][0]["note"], "a } in a string, and a \" quote {");
}

TEST(ReplyParsing, TrailingCommasAreTheOnlyRepair) {
  auto repaired = extract_json_object("{\"a\": [1, 2, 3,], \"b\": {\"c\": \"x,}\",},\n}");
  ASSERT_TRUE(repaired.has_value()) << repaired.error().to_string();
  EXPECT_EQ(*repaired, json::parse(R"({"a":[1,2,3],"b":{"c":"x,}"}})"));

  for (const char* broken : {"{\"a\": NaN}", "{'a': 1}", "{\"a\": 1 // comment\n}", "{\"a\": 01}"}) {
    auto doc = extract_json_object(broken);
    ASSERT_FALSE(doc.has_value()) << broken;
    EXPECT_EQ(doc.error().subject, "reply");
    EXPECT_TRUE(doc.error().problem.starts_with("the JSON object at line 1 does not parse: ")) << doc.error().problem;
  }
}

TEST(ReplyParsing, TruncatedObjectIsReportedNotItsInnerParts) {
  const std::string text = "Plan:\n{\"ops\": [{\"op\": \"add\", \"id\": \"n1\"}, {\"op\": \"upd";
  auto doc = extract_json_object(text);
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().problem,
            "the JSON object starting at line 2 is cut off before its closing brace (a truncated reply?)");
}

TEST(ReplyParsing, BrokenObjectIsSkippedForALaterWholeOne) {
  const std::string text = "{\"draft\": oops}\nCorrected:\n{\"final\": true}";
  auto doc = extract_json_object(text);
  ASSERT_TRUE(doc.has_value()) << doc.error().to_string();
  EXPECT_EQ(*doc, json::parse(R"({"final":true})"));

  // The inner object of a broken whole is never returned in its place.
  auto broken = extract_json_object("{\"outer\": {\"inner\": 1}, oops}");
  ASSERT_FALSE(broken.has_value());
  EXPECT_TRUE(broken.error().problem.starts_with("the JSON object at line 1 does not parse")) << broken.error().problem;
}

TEST(ReplyParsing, OnlyObjectsAreReturned) {
  auto none = extract_json_object("[1, 2, 3] and \"text\" and 42");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().problem, "no JSON object found");
  auto arrays_inside = extract_json_object("[{\"a\": 1}]");
  ASSERT_TRUE(arrays_inside.has_value());  // the first balanced object, wherever it sits
  EXPECT_EQ(*arrays_inside, json::parse(R"({"a":1})"));
  auto empty = extract_json_object("Nothing to change: {}");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(extract_json_object("").has_value());
}

TEST(ReplyParsing, BracesInCodeBeforeTheJsonAreSkipped) {
  const std::string text =
      "```cuda\n__global__ void k() { if (x) { y(); } }\n```\n"
      "{\"launch\": {\"grid\": [1, 1, 1]}}";
  auto doc = extract_json_object(text);
  ASSERT_TRUE(doc.has_value()) << doc.error().to_string();
  EXPECT_EQ((*doc)["launch"]["grid"][0], 1);
}

}  // namespace
}  // namespace ksearch::llm
