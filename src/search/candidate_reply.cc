#include "ksearch/search/candidate_reply.h"

#include <algorithm>
#include <array>
#include <optional>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"
#include "ksearch/llm/reply_parsing.h"

namespace ksearch::search {

namespace {

constexpr std::string_view kernel_file = "kernel.cu";
constexpr std::string_view plan_file = "launch.json";
constexpr std::array<std::string_view, 5> kernel_languages = {"cuda", "cu", "cuh", "cpp", "c++"};

const std::string wrap_kernel = "wrap the device code in <file path=\"kernel.cu\">...</file>";
const std::string wrap_plan =
    "add the launch plan as <file path=\"launch.json\">{\"steps\": [...]}</file> after kernel.cu";
const std::string resend =
    "send both files complete; if the reply hit the output limit, make kernel.cu shorter "
    "(fewer comments, no unused variants)";

/// The two files as found, before checking their contents.
struct found_files {
  std::optional<std::string> kernel;
  std::optional<std::string> plan;
};

[[nodiscard]] std::unexpected<error> cut_off(std::string_view file) {
  return fail(std::string(file), "the reply was cut off inside " + std::string(file), resend);
}

/// An element that follows the file-tag convention: <file ...> or <something_file ...>.
[[nodiscard]] bool is_file_tag(std::string_view tag) {
  return equals_ignoring_case(tag, "file") || ends_with_ignoring_case(tag, "_file");
}

/// Whether the reply has an element for `file` that was never closed.
[[nodiscard]] bool cut_off_in(const llm::tagged_files& tagged, std::string_view file) {
  return std::ranges::any_of(tagged.problems, [file](const llm::tag_problem& p) {
    return p.what == llm::tag_problem::kind::never_closed && p.file == file;
  });
}

/// Shape 1: tagged files. nullopt when the reply has no tag for either file (open or closed).
[[nodiscard]] std::optional<result<found_files>> from_tags(std::string_view reply) {
  const llm::tagged_files tagged = llm::extract_tagged_files(reply);
  const llm::tagged_file* kernel = llm::find_tagged_file(tagged, kernel_file);
  const llm::tagged_file* plan = llm::find_tagged_file(tagged, plan_file);
  const bool kernel_open = cut_off_in(tagged, kernel_file);
  const bool plan_open = cut_off_in(tagged, plan_file);
  if (kernel == nullptr && plan == nullptr && !kernel_open && !plan_open) return std::nullopt;

  if (kernel == nullptr && kernel_open) return cut_off(kernel_file);
  if (plan == nullptr && plan_open) return cut_off(plan_file);
  for (const llm::tagged_file& f : tagged.files) {
    if (f.name != kernel_file && f.name != plan_file && is_file_tag(f.tag)) {
      return fail(f.name,
                  "is not part of a candidate (line " + std::to_string(f.line) +
                      "): a candidate is exactly kernel.cu and launch.json, and ksearch compiles only "
                      "kernel.cu, with NVRTC, without host code",
                  "put every kernel and __device__ helper into kernel.cu and send only the two files");
    }
  }
  found_files files;
  if (kernel != nullptr) files.kernel = kernel->content;
  if (plan != nullptr) files.plan = plan->content;
  return files;
}

/// Shape 2: fenced blocks. A truncated first block of a kind counts as that file cut off.
[[nodiscard]] result<found_files> from_fences(std::string_view reply) {
  found_files files;
  for (const llm::code_block& block : llm::extract_code_blocks(reply)) {
    const bool is_kernel = std::ranges::find(kernel_languages, block.language) != kernel_languages.end();
    const bool is_plan = block.language == "json";
    if (is_kernel && !files.kernel) {
      if (!block.terminated) return cut_off(kernel_file);
      files.kernel = block.code;
    } else if (is_plan && !files.plan) {
      if (!block.terminated) return cut_off(plan_file);
      files.plan = block.code;
    }
  }
  return files;
}

/// "line 3, column 5: syntax error ..." from nlohmann's "[json.exception.parse_error.101] parse
/// error at line 3, column 5: ...".
[[nodiscard]] std::string parse_error_text(const std::string& what) {
  constexpr std::string_view at = "parse error at ";
  const std::size_t pos = what.find(at);
  return pos == std::string::npos ? what : what.substr(pos + at.size());
}

}  // namespace

result<tasks::solution> parse_candidate_reply(std::string_view reply, const candidate_identity& id) {
  // 1. Identity: parse_solution() would refuse a solution without these.
  if (id.name.empty()) return fail("candidate_identity.name", "is empty");
  if (id.definition.empty()) return fail("candidate_identity.definition", "is empty");

  // 2. The two files, from tags or else from fences.
  auto tagged = from_tags(reply);
  auto found = tagged ? std::move(*tagged) : from_fences(reply);
  if (!found) return std::unexpected(found.error());
  if (!found->kernel) return fail(std::string(kernel_file), "the reply has no kernel.cu", wrap_kernel);
  if (!found->plan) return fail(std::string(plan_file), "the reply has no launch.json", wrap_plan);

  // 3. Their contents.
  if (is_blank(*found->kernel)) return fail(std::string(kernel_file), "is empty", wrap_kernel);
  try {
    const json plan = json::parse(*found->plan);
    if (!plan.is_object()) {
      return fail(std::string(plan_file), "must be a JSON object, not " + std::string(plan.type_name()),
                  "send the plan as one object: {\"let\": [...], \"workspaces\": [...], \"steps\": [...]}");
    }
  } catch (const json::parse_error& e) {
    return fail(std::string(plan_file), "is not valid JSON: " + parse_error_text(e.what()),
                "send strict JSON: double-quoted keys and strings, no comments, no trailing commas");
  }

  // 4. The solution: the extracted files only, never the raw reply.
  tasks::solution s;
  s.name = id.name;
  s.definition = id.definition;
  s.author = id.author;
  s.description = id.target_gpu.empty() ? "" : "Candidate for " + id.target_gpu + ".";
  s.language = "cuda";
  s.sources.push_back({std::string(kernel_file), std::move(*found->kernel)});
  s.sources.push_back({std::string(plan_file), std::move(*found->plan)});
  return s;
}

std::string code_view_for_prompt(const tasks::solution& s) {
  std::string out;
  auto add = [&](const tasks::source_file& f) {
    if (!out.empty()) out += '\n';
    out += "<file path=\"" + f.path + "\">\n" + f.content;
    if (!f.content.empty() && f.content.back() != '\n') out += '\n';
    out += "</file>\n";
  };
  for (std::string_view first : {kernel_file, plan_file}) {
    for (const tasks::source_file& f : s.sources) {
      if (f.path == first) add(f);
    }
  }
  for (const tasks::source_file& f : s.sources) {
    if (f.path != kernel_file && f.path != plan_file) add(f);
  }
  return out;
}

}  // namespace ksearch::search
