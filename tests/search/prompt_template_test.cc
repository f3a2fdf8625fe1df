#include "ksearch/search/prompt_template.h"

#include <gtest/gtest.h>

#include <string>

#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

std::string render(std::string_view text, const prompt_values& values) {
  auto t = prompt_template::parse(text, "t.md");
  if (!t) return "PARSE: " + t.error().to_string();
  auto out = t->render(values);
  return out ? *out : "RENDER: " + out.error().to_string();
}

prompt_value v(std::string text) { return {std::move(text)}; }

std::string parse_error(std::string_view text) {
  auto t = prompt_template::parse(text, "t.md");
  return t ? "parsed" : t.error().to_string();
}

// ---- placeholders and sections ----

TEST(PromptTemplate, SubstitutesPlaceholdersAndLeavesOtherBracesAlone) {
  EXPECT_EQ(render("Hello {{who}}, {x} {{ who }}!", {{"who", v("GPU")}}), "Hello GPU, {x} GPU!");
  // A value is inserted once, never expanded again.
  EXPECT_EQ(render("[{{a}}]", {{"a", v("{{b}}")}}), "[{{b}}]");
}

TEST(PromptTemplate, SectionsAreKeptOnlyForNonEmptyValues) {
  const std::string text = "A\n{{#x}}\nx is {{x}}\n{{/x}}\n{{^x}}\nno x\n{{/x}}\nB\n";
  EXPECT_EQ(render(text, {{"x", v("1")}}), "A\nx is 1\nB\n");
  EXPECT_EQ(render(text, {{"x", v("")}}), "A\nno x\nB\n");
  EXPECT_EQ(render(text, {{"x", v(" \n\t")}}), "A\nno x\nB\n") << "whitespace only counts as empty";
}

TEST(PromptTemplate, InlineAndNestedSections) {
  const std::string text = "go{{#a}} on {{a}}{{#b}} and {{b}}{{/b}}{{/a}}.";
  EXPECT_EQ(render(text, {{"a", v("A")}, {"b", v("B")}}), "go on A and B.");
  EXPECT_EQ(render(text, {{"a", v("A")}, {"b", v("")}}), "go on A.");
  EXPECT_EQ(render(text, {{"a", v("")}, {"b", v("B")}}), "go.");
}

TEST(PromptTemplate, StandaloneTagsAndCommentsTakeTheirLine) {
  EXPECT_EQ(render("A\n{{! a comment\n    over two lines }}\nB", {}), "A\nB") << "comments may span lines";
  EXPECT_EQ(parse_error("{{! never closed\n"),
            "t.md:1: '{{' is not closed by '}}' on the same line (fix: write a tag as "
            "{{name}}, {{#name}}, {{/name}})");
  EXPECT_EQ(render("{{! what this is }}\nA\n  {{#x}}  \nB\n  {{/x}}\nC", {{"x", v("y")}}), "A\nB\nC");
  EXPECT_EQ(render("A {{! inline }}B", {}), "A B");
}

// ---- strictness ----

TEST(PromptTemplate, UnknownPlaceholderNamesTemplateLineAndName) {
  const std::string out = render("a\nb {{nmae}}\n", {{"name", v("x")}});
  EXPECT_TRUE(out.starts_with("RENDER: t.md:2: {{nmae}} has no value (given: name) (fix: pass a value named 'nmae'"))
      << out;
  EXPECT_NE(render("{{#sec}}x{{/sec}}", {}).find("t.md:1: {{sec}} has no value"), std::string::npos);
}

TEST(PromptTemplate, UnusedValueIsAnError) {
  const std::string out = render("{{a}}", {{"a", v("1")}, {"b", v("2")}});
  EXPECT_NE(out.find("t.md: the value 'b' is not used by the template (it uses: a)"), std::string::npos) << out;
}

TEST(PromptTemplate, SyntaxErrorsNameFileAndLine) {
  EXPECT_EQ(parse_error("x\n{{#a}}\ny"), "t.md:2: section {{#a}} is never closed (fix: add {{/a}})");
  EXPECT_EQ(parse_error("{{#a}}{{/b}}"),
            "t.md:1: {{/b}} closes the section {{#a}} opened on line 1 (fix: close sections in the reverse order of "
            "opening)");
  EXPECT_EQ(parse_error("{{/a}}"), "t.md:1: {{/a}} closes no section");
  EXPECT_NE(parse_error("\n\n{{Name}}").find("t.md:3: '{{Name}}' is not a tag"), std::string::npos);
  EXPECT_NE(parse_error("{{a\n}}").find("t.md:1: '{{' is not closed"), std::string::npos);
  EXPECT_EQ(parse_error("ok \xC3"), "t.md: is not valid UTF-8 (fix: save the template as UTF-8)");
}

TEST(PromptTemplate, NamesListsPlaceholdersAndSections) {
  auto t = prompt_template::parse("{{a}}{{#b}}{{c}}{{/b}}{{^d}}{{/d}}{{! e }}", "t.md");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::vector<std::string>(t->names().begin(), t->names().end()),
            (std::vector<std::string>{"a", "b", "c", "d"}));
}

// ---- budgets ----

TEST(PromptTemplate, ValuesAreCutToTheirBudgetByKind) {
  const std::string prose_text =
      "First paragraph, short.\n\nSecond paragraph is a good deal longer than the first one.";
  auto out = render("{{p}}", {{"p", {prose_text, 60, cut_kind::prose}}});
  EXPECT_LE(out.size(), 60u);
  EXPECT_TRUE(out.starts_with("First paragraph")) << out;
  EXPECT_NE(out.find("characters omitted"), std::string::npos) << out;

  std::string code_text;
  for (int i = 0; i < 50; ++i) code_text += "line " + std::to_string(i) + "\n";
  out = render("{{c}}", {{"c", {code_text, 120, cut_kind::code}}});
  EXPECT_LE(out.size(), 120u);
  EXPECT_TRUE(out.starts_with("line 0\nline 1\n")) << out;
  EXPECT_TRUE(out.ends_with("line 49\n")) << out;
  EXPECT_NE(out.find("lines omitted) ...\n"), std::string::npos) << out;

  EXPECT_EQ(render("{{w}}", {{"w", {"{\"a\": 1}", 8, cut_kind::whole}}}), "{\"a\": 1}");
  EXPECT_EQ(render("{{w}}", {{"w", {"{\"a\": 12}", 8, cut_kind::whole}}}),
            "RENDER: t.md: {{w}}: 9 characters, over its budget of 8 (this value is never cut) (fix: pass a smaller "
            "view of it)");
}

TEST(PromptTemplate, AnEmptyCutValueStillCountsAsEmptyForSections) {
  // A whitespace-only value is empty whatever its budget.
  EXPECT_EQ(render("{{#x}}[{{x}}]{{/x}}", {{"x", {"   ", 1, cut_kind::prose}}}), "");
}

TEST(CutProse, FitsAreUnchangedAndCutsAreExactlyWithinBudget) {
  const std::string text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho";
  EXPECT_EQ(cut_prose(text, text.size()), text);
  for (std::size_t budget = 0; budget < text.size(); ++budget) {
    const std::string out = cut_prose(text, budget);
    ASSERT_LE(out.size(), budget) << budget;
    ASSERT_NE(out, text);
    const std::size_t marker = out.find("\n... (");
    const std::string kept = out.substr(0, marker);
    EXPECT_TRUE(text.starts_with(kept)) << budget << ": " << out;
    if (marker != std::string::npos) {
      // The count is what was dropped.
      const std::string count = out.substr(marker + 6, out.find(' ', marker + 6) - marker - 6);
      EXPECT_EQ(std::stoul(count), text.size() - kept.size()) << out;
    }
  }
}

TEST(CutProse, PrefersParagraphThenSentenceThenLineThenWordBoundaries) {
  // The paragraph break wins over a later line break...
  const std::string paragraphs = std::string(40, 'a') + "\n\n" + std::string(20, 'b') + "\n" + std::string(60, 'c');
  EXPECT_EQ(cut_prose(paragraphs, 100), std::string(40, 'a') + "\n... (83 characters omitted) ...");
  // ...unless it would keep less than half of the room; then the line break does.
  const std::string lines = std::string(10, 'a') + "\n\n" + std::string(40, 'b') + "\n" + std::string(60, 'c');
  EXPECT_EQ(cut_prose(lines, 100),
            std::string(10, 'a') + "\n\n" + std::string(40, 'b') + "\n... (61 characters omitted) ...");
  const std::string words = "one two three four five six seven eight nine ten eleven twelve thirteen";
  EXPECT_EQ(cut_prose(words, 50), "one two three\n... (58 characters omitted) ...");
  // A sentence end beats a later line break or space: an action is not cut mid-sentence.
  const std::string action = "Tile the KV loop by 64 and keep it. Use cp.async for the\nnext tile while computing the current one.";
  EXPECT_EQ(cut_prose(action, 90), "Tile the KV loop by 64 and keep it.\n... (64 characters omitted) ...");
}

TEST(CutProse, NeverSplitsAUtf8Sequence) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "\xE2\x82\xAC\xF0\x9F\x98\x80\xC3\xA9";  // "€😀é" without spaces
  ASSERT_TRUE(is_valid_utf8(text));
  for (std::size_t budget = 0; budget <= text.size(); ++budget) {
    const std::string out = cut_prose(text, budget);
    ASSERT_LE(out.size(), budget);
    ASSERT_TRUE(is_valid_utf8(out)) << "budget " << budget;
  }
}

TEST(CutCode, KeepsWholeLinesFromHeadAndTail) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "int v" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  EXPECT_EQ(cut_code(text, text.size()), text);
  for (std::size_t budget : {30u, 60u, 200u, 1000u, 1500u}) {
    const std::string out = cut_code(text, budget);
    ASSERT_LE(out.size(), budget);
    // Every line is a whole line of the input or the marker.
    std::size_t kept = 0, omitted = 0;
    std::size_t pos = 0;
    while (pos < out.size()) {
      const std::size_t end = out.find('\n', pos);
      ASSERT_NE(end, std::string::npos) << "lines stay whole: " << out;
      const std::string line = out.substr(pos, end - pos);
      if (line.starts_with("... (")) {
        omitted = std::stoul(line.substr(5));
      } else {
        ASSERT_NE(text.find(line + "\n"), std::string::npos) << line;
        ++kept;
      }
      pos = end + 1;
    }
    EXPECT_EQ(kept + omitted, 100u) << "budget " << budget << ":\n" << out;
  }
  EXPECT_TRUE(cut_code(text, 200).ends_with("int v99 = 99;\n"));
  EXPECT_EQ(cut_code(text, 10), "") << "below the marker's size nothing fits";
}

TEST(CutCode, NeverSplitsAUtf8SequenceEvenInOneLongLine) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "\xC3\xA9";
  const std::string out = cut_code(text + "\nx\n", 60);
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(out, "... (1 lines omitted) ...\nx\n");
}

TEST(Utf8, ValidatesSequences) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));      // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("\x80"));          // lone continuation
}

// ---- library ----

TEST(PromptLibrary, LoadsEveryMarkdownTemplateButTheReadme) {
  test_support::temp_dir dir;
  dir.write("greet.md", "Hello {{who}}\n");
  dir.write("README.md", "{{not a template}}");
  dir.write("notes.txt", "{{ignored");
  auto lib = prompt_library::load(dir.path());
  ASSERT_TRUE(lib.has_value()) << lib.error().to_string();
  EXPECT_EQ(lib->names(), std::vector<std::string>{"greet"});
  auto out = lib->render("greet", {{"who", v("H100")}});
  ASSERT_TRUE(out.has_value()) << out.error().to_string();
  EXPECT_EQ(*out, "Hello H100\n");
  auto missing = lib->render("greeet", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().to_string().find("greeet.md: no such prompt template (have: greet)"), std::string::npos);
}

TEST(PromptLibrary, LoadErrorsNameTheFolderOrFile) {
  test_support::temp_dir dir;
  auto none = prompt_library::load(dir.path() / "nope");
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().subject.find("nope"), std::string::npos);
  auto empty = prompt_library::load(dir.path());
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().problem.find("no *.md templates"), std::string::npos);
  dir.write("bad.md", "ok\n{{#open}}\n");
  auto bad = prompt_library::load(dir.path());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().subject, (dir.path() / "bad.md").string() + ":2");
}

}  // namespace
}  // namespace ksearch::search
