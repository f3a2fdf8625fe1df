#include "ksearch/eval/plan/launch_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ksearch/common/json.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "support/hopper_limits.h"

namespace ksearch::eval {
namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& text, std::string_view prefix) { return text.starts_with(prefix); }
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// --- the split-KV GQA decode of docs/candidate-contract.md -------------------------------------

plan_interface gqa_interface() {
  plan_interface iface;
  iface.tensor_inputs = {"q", "k_cache", "v_cache", "kv_indptr", "kv_indices"};
  iface.tensor_outputs = {"output", "lse"};
  iface.scalar_inputs = {{"sm_scale", scalar_type::f32}};
  iface.axes = {"num_qo_heads", "num_kv_heads", "head_dim",   "page_size",
                "batch_size",   "num_pages",    "len_indptr", "num_kv_indices"};
  return iface;
}

symbol_table gqa_workload(std::int64_t batch_size, std::int64_t num_kv_indices) {
  symbol_table symbols;
  symbols.set_int("num_qo_heads", 32);
  symbols.set_int("num_kv_heads", 4);
  symbols.set_int("head_dim", 128);
  symbols.set_int("page_size", 1);
  symbols.set_int("batch_size", batch_size);
  symbols.set_int("num_pages", 10000);
  symbols.set_int("len_indptr", batch_size + 1);
  symbols.set_int("num_kv_indices", num_kv_indices);
  symbols.set_float("sm_scale", 0.08838834764831845);
  return symbols;
}

// The fenced block that follows `marker` in the contract document.
std::string doc_block(std::string_view marker) {
  std::ifstream in(fs::path(KSEARCH_SOURCE_DIR) / "docs" / "candidate-contract.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  const std::size_t at = doc.find(marker);
  if (at == std::string::npos) return {};
  const std::size_t open = doc.find("```", at);
  const std::size_t body = doc.find('\n', open) + 1;
  const std::size_t close = doc.find("\n```", body);
  if (open == std::string::npos || close == std::string::npos) return {};
  return doc.substr(body, close - body + 1);
}

std::string worked_example_plan() { return doc_block("<!-- worked-example: launch.json -->"); }
std::string worked_example_kernel() { return doc_block("<!-- worked-example: kernel.cu -->"); }

result<launch_plan> parse(std::string_view text, const plan_interface& iface = gqa_interface()) {
  return parse_launch_plan_text(text, iface);
}

launch_plan parse_ok(std::string_view text, const plan_interface& iface = gqa_interface()) {
  auto plan = parse(text, iface);
  EXPECT_TRUE(plan.has_value()) << (plan ? "" : plan.error().to_string());
  return plan ? std::move(*plan) : launch_plan{};
}

error parse_error(std::string_view text, const plan_interface& iface = gqa_interface()) {
  auto plan = parse(text, iface);
  EXPECT_FALSE(plan.has_value()) << text;
  return plan ? error{} : plan.error();
}

resolved_plan resolve_ok(const launch_plan& plan, const symbol_table& symbols, const device_limits& limits = test_support::hopper_limits()) {
  auto resolved = resolve_launch_plan(plan, symbols, limits);
  EXPECT_TRUE(resolved.has_value()) << (resolved ? "" : resolved.error().to_string());
  return resolved ? std::move(*resolved) : resolved_plan{};
}

error resolve_error(std::string_view text, const symbol_table& symbols = gqa_workload(16, 16000),
                    const device_limits& limits = test_support::hopper_limits(), const plan_interface& iface = gqa_interface()) {
  auto plan = parse(text, iface);
  EXPECT_TRUE(plan.has_value()) << (plan ? "" : plan.error().to_string());
  if (!plan) return {};
  auto resolved = resolve_launch_plan(*plan, symbols, limits);
  EXPECT_FALSE(resolved.has_value()) << text;
  return resolved ? error{} : resolved.error();
}

// A one-launch plan with the given launch fields spliced in.
std::string one_launch(std::string_view fields) {
  return std::string(R"({"steps": [{"kernel": "k", )") + std::string(fields) + "}]}";
}

template <class T>
T from_bytes(const resolved_arg& arg) {
  T value{};
  std::memcpy(&value, arg.bytes.data(), sizeof(T));
  return value;
}

// Parameters of `extern "C" __global__ void name(...)` in `source`, or -1 when not found.
int parameter_count(const std::string& source, const std::string& kernel) {
  const std::size_t at = source.find("extern \"C\" __global__ void " + kernel + "(");
  if (at == std::string::npos) return -1;
  const std::size_t open = source.find('(', at);
  const std::size_t close = source.find(')', open);
  const std::string params = source.substr(open + 1, close - open - 1);
  return 1 + static_cast<int>(std::count(params.begin(), params.end(), ','));
}

// --- the worked example ------------------------------------------------------------------------

TEST(LaunchPlanWorkedExample, ParsesFromTheDocumentText) {
  const std::string text = worked_example_plan();
  ASSERT_FALSE(text.empty()) << "no worked example in docs/candidate-contract.md";
  const launch_plan plan = parse_ok(text);
  ASSERT_EQ(plan.lets.size(), 4u);
  EXPECT_EQ(plan.lets[1].name, "splits");
  ASSERT_EQ(plan.workspaces.size(), 2u);
  EXPECT_EQ(plan.workspaces[0].dtype, "float32");
  EXPECT_EQ(plan.workspaces[0].element_bytes, 4u);
  EXPECT_EQ(plan.workspaces[0].shape.size(), 4u);
  EXPECT_TRUE(plan.workspaces[1].bytes.has_value());
  EXPECT_FALSE(plan.workspaces[1].init.has_value());
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[1].when->text(), "splits > 1");
  EXPECT_EQ(kernel_names(plan), (std::vector<std::string>{"gqa_decode_split", "gqa_merge"}));
}

TEST(LaunchPlanWorkedExample, ShortSequencesUseOneSplitAndDropTheMerge) {
  const launch_plan plan = parse_ok(worked_example_plan());
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(1, 200));
  ASSERT_EQ(resolved.lets.size(), 4u);
  EXPECT_EQ(resolved.lets[0], (std::pair<std::string, plan_value>{"avg_kv", plan_value::of_int(200)}));
  EXPECT_EQ(resolved.lets[1], (std::pair<std::string, plan_value>{"splits", plan_value::of_int(1)}));
  ASSERT_EQ(resolved.workspaces.size(), 2u);
  EXPECT_EQ(resolved.workspaces[0].name, "part_out");
  EXPECT_EQ(resolved.workspaces[0].bytes, 16384);
  EXPECT_EQ(resolved.workspaces[1].bytes, 128);
  ASSERT_EQ(resolved.steps.size(), 1u);
  const resolved_step& main = resolved.steps[0];
  EXPECT_EQ(main.kernel, "gqa_decode_split");
  EXPECT_EQ(main.plan_step, 0u);
  EXPECT_EQ(main.grid, (std::array<std::uint32_t, 3>{1, 4, 1}));
  EXPECT_EQ(main.block, (std::array<std::uint32_t, 3>{256, 1, 1}));
  EXPECT_EQ(main.cluster, (std::array<std::uint32_t, 3>{1, 1, 1}));
  EXPECT_EQ(main.dyn_smem, 32768u);
  EXPECT_FALSE(main.cooperative);
}

TEST(LaunchPlanWorkedExample, LongSequencesSplitAndMerge) {
  const launch_plan plan = parse_ok(worked_example_plan());
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(16, 16000));
  EXPECT_EQ(resolved.lets[1].second, plan_value::of_int(4));
  EXPECT_EQ(resolved.workspaces[0].bytes, 16 * 32 * 4 * 128 * 4);
  EXPECT_EQ(resolved.workspaces[1].bytes, 16 * 32 * 4 * 4);
  ASSERT_EQ(resolved.steps.size(), 2u);
  EXPECT_EQ(resolved.steps[0].grid, (std::array<std::uint32_t, 3>{4, 64, 1}));
  const resolved_step& merge = resolved.steps[1];
  EXPECT_EQ(merge.kernel, "gqa_merge");
  EXPECT_EQ(merge.plan_step, 1u);
  EXPECT_EQ(merge.grid, (std::array<std::uint32_t, 3>{16, 32, 1}));
  EXPECT_EQ(merge.block, (std::array<std::uint32_t, 3>{128, 1, 1}));
  EXPECT_EQ(merge.dyn_smem, 0u);
  const auto smem = max_dyn_smem_per_kernel(resolved);
  ASSERT_EQ(smem.size(), 2u);
  EXPECT_EQ(smem[0].kernel, "gqa_decode_split");
  EXPECT_EQ(smem[0].max_dyn_smem, 32768u);
  EXPECT_EQ(smem[1].kernel, "gqa_merge");
  EXPECT_EQ(smem[1].max_dyn_smem, 0u);
}

TEST(LaunchPlanWorkedExample, ArgumentsResolveToIndicesAndTypedValues) {
  const launch_plan plan = parse_ok(worked_example_plan());
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(16, 16000));
  const std::vector<resolved_arg>& args = resolved.steps[0].args;
  ASSERT_EQ(args.size(), 11u);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(args[static_cast<std::size_t>(k)].kind, arg_kind::input);
    EXPECT_EQ(args[static_cast<std::size_t>(k)].index, k);
    EXPECT_EQ(args[static_cast<std::size_t>(k)].param_size(), 8u);
  }
  EXPECT_EQ(args[5].kind, arg_kind::scalar);  // sm_scale, passed by bare name: its dtype's type
  EXPECT_EQ(args[5].type, scalar_type::f32);
  EXPECT_EQ(args[5].param_size(), 4u);
  EXPECT_EQ(from_bytes<float>(args[5]), 0.08838834764831845f);
  EXPECT_EQ(args[5].value, plan_value::of_float(static_cast<double>(0.08838834764831845f)));
  EXPECT_EQ(args[6].kind, arg_kind::output);
  EXPECT_EQ(args[6].index, 0);
  EXPECT_EQ(args[7].kind, arg_kind::output);
  EXPECT_EQ(args[7].index, 1);
  EXPECT_EQ(args[8].kind, arg_kind::workspace);
  EXPECT_EQ(args[8].index, 0);
  EXPECT_EQ(args[9].kind, arg_kind::workspace);
  EXPECT_EQ(args[9].index, 1);
  EXPECT_EQ(args[10].kind, arg_kind::scalar);
  EXPECT_EQ(args[10].type, scalar_type::i32);
  EXPECT_EQ(from_bytes<std::int32_t>(args[10]), 4);
  const std::vector<resolved_arg>& merge_args = resolved.steps[1].args;
  ASSERT_EQ(merge_args.size(), 5u);
  EXPECT_EQ(merge_args[0].kind, arg_kind::workspace);
  EXPECT_EQ(merge_args[2].kind, arg_kind::output);
  EXPECT_EQ(merge_args[2].index, 0);
}

TEST(LaunchPlanWorkedExample, KernelCompilesWithNvrtcAndMatchesThePlan) {
  const std::string source = worked_example_kernel();
  ASSERT_FALSE(source.empty()) << "no worked example kernel in docs/candidate-contract.md";
  const launch_plan plan = parse_ok(worked_example_plan());
  for (const plan_step& step : plan.steps) {
    EXPECT_EQ(parameter_count(source, step.kernel), static_cast<int>(step.args.size())) << step.kernel;
  }
  auto compiled = compile_cuda({.source = source, .file_name = "kernel.cu", .arch = "sm_90a", .extra_options = {}});
  ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
  std::vector<std::string> compiled_kernels;
  for (const kernel_resources& kernel : compiled->kernels) compiled_kernels.push_back(kernel.name);
  std::sort(compiled_kernels.begin(), compiled_kernels.end());
  EXPECT_EQ(compiled_kernels, (std::vector<std::string>{"gqa_decode_split", "gqa_merge"}));
  EXPECT_TRUE(compiled->log.empty()) << compiled->log;  // no warnings in an example people copy
}

TEST(LaunchPlanWorkedExample, DescribeShowsWhatThePlanTurnedInto) {
  const launch_plan plan = parse_ok(worked_example_plan());
  const std::string text = describe_resolved_plan(resolve_ok(plan, gqa_workload(16, 16000)), plan);
  EXPECT_TRUE(contains(text, "let splits = 4\n")) << text;
  EXPECT_TRUE(contains(text, "workspace part_out: 1048576 bytes, init none\n")) << text;
  EXPECT_TRUE(contains(text,
                       "steps[0] gqa_decode_split: grid 4 x 64 x 1, block 256 x 1 x 1, dyn_smem 32768, args (q, "
                       "k_cache, v_cache, kv_indptr, kv_indices, f32 0.0883883461356163, output, lse, part_out, "
                       "part_lse, i32 4)\n"))
      << text;
  EXPECT_TRUE(contains(text, "steps[1] gqa_merge: grid 16 x 32 x 1, block 128 x 1 x 1, dyn_smem 0")) << text;
}

// --- parse: happy paths -----------------------------------------------------------------------

TEST(LaunchPlanParse, ShorthandsDefaultsAndJsonValues) {
  const launch_plan plan = parse_ok(R"({
    "comment": "shorthand forms",
    "steps": [{"kernel": "k", "grid": "batch_size", "block": 128, "args": [], "comment": "one dim"},
              {"kernel": "k2", "grid": [2.0], "block": [32, 4], "when": false, "args": []},
              {"memset": "lse"}]})");
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[0].grid.size(), 1u);
  EXPECT_EQ(plan.steps[0].grid[0].text(), "batch_size");
  EXPECT_EQ(plan.steps[0].block[0].text(), "128");
  EXPECT_FALSE(plan.steps[0].dyn_smem.has_value());
  EXPECT_TRUE(plan.steps[0].cluster.empty());
  EXPECT_EQ(plan.steps[1].grid[0].text(), "2.0");
  EXPECT_EQ(plan.steps[1].when->text(), "0");
  EXPECT_EQ(plan.steps[2].kind, step_kind::memset);
  EXPECT_EQ(plan.steps[2].target_kind, arg_kind::output);
  EXPECT_EQ(plan.steps[2].target_index, 1);
  EXPECT_EQ(plan.steps[2].value, 0);
  // Only steps that run count: the when=false launch is dropped, the memset stays.
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(3, 10));
  ASSERT_EQ(resolved.steps.size(), 2u);
  EXPECT_EQ(resolved.steps[0].grid, (std::array<std::uint32_t, 3>{3, 1, 1}));
  EXPECT_EQ(resolved.steps[0].block, (std::array<std::uint32_t, 3>{128, 1, 1}));
  EXPECT_EQ(resolved.steps[1].kind, step_kind::memset);
  EXPECT_EQ(resolved.steps[1].plan_step, 2u);
  EXPECT_EQ(kernel_names(plan), (std::vector<std::string>{"k", "k2"}));
}

TEST(LaunchPlanParse, WorkspaceInitForms) {
  const launch_plan plan = parse_ok(R"({
    "workspaces": [{"name": "a", "bytes": 16},
                   {"name": "b", "bytes": 16, "init": "none"},
                   {"name": "c", "bytes": 16, "init": "zero"},
                   {"name": "d", "bytes": 16, "init": 255},
                   {"name": "e", "dtype": "bfloat16", "shape": ["batch_size", 3], "init": 0}],
    "steps": [{"kernel": "k", "grid": 1, "block": 1, "args": ["a", "b", "c", "d", "e"]}]})");
  ASSERT_EQ(plan.workspaces.size(), 5u);
  EXPECT_FALSE(plan.workspaces[0].init.has_value());
  EXPECT_FALSE(plan.workspaces[1].init.has_value());
  EXPECT_EQ(plan.workspaces[2].init, std::optional<std::uint8_t>(0));
  EXPECT_EQ(plan.workspaces[3].init, std::optional<std::uint8_t>(255));
  EXPECT_EQ(plan.workspaces[4].init, std::optional<std::uint8_t>(0));
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(5, 10));
  EXPECT_FALSE(resolved.workspaces[0].init.has_value());
  EXPECT_EQ(resolved.workspaces[3].init, std::optional<std::uint8_t>(255));
  EXPECT_EQ(resolved.workspaces[4].bytes, 5 * 3 * 2);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(resolved.steps[0].args[static_cast<std::size_t>(k)].kind, arg_kind::workspace);
    EXPECT_EQ(resolved.steps[0].args[static_cast<std::size_t>(k)].index, k);
  }
  const std::string text = describe_resolved_plan(resolved, plan);
  EXPECT_TRUE(contains(text, "workspace d: 16 bytes, init 0xff\n")) << text;
}

TEST(LaunchPlanParse, MemsetOfAWorkspaceWithAValueAndCondition) {
  const launch_plan plan = parse_ok(R"({
    "let": [{"splits": "batch_size > 4 ? 2 : 1"}],
    "workspaces": [{"name": "acc", "bytes": "splits * 64"}],
    "steps": [{"memset": "acc", "value": 171, "when": "splits > 1"},
              {"kernel": "k", "grid": 1, "block": 1, "args": ["acc"]}]})");
  const resolved_plan many = resolve_ok(plan, gqa_workload(8, 10));
  ASSERT_EQ(many.steps.size(), 2u);
  EXPECT_EQ(many.steps[0].kind, step_kind::memset);
  EXPECT_EQ(many.steps[0].target_kind, arg_kind::workspace);
  EXPECT_EQ(many.steps[0].target_index, 0);
  EXPECT_EQ(many.steps[0].value, 171);
  EXPECT_TRUE(contains(describe_resolved_plan(many, plan), "steps[0] memset acc to 0xab\n"));
  const resolved_plan one = resolve_ok(plan, gqa_workload(2, 10));
  ASSERT_EQ(one.steps.size(), 1u);
  EXPECT_EQ(one.steps[0].kind, step_kind::launch);
}

TEST(LaunchPlanParse, ClusterAndCooperativeLaunches) {
  const launch_plan plan =
      parse_ok(one_launch(R"("grid": [8, 2], "block": [128], "cluster": [2, 2], "cooperative": true, "args": [])"));
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(1, 1));
  EXPECT_EQ(resolved.steps[0].cluster, (std::array<std::uint32_t, 3>{2, 2, 1}));
  EXPECT_TRUE(resolved.steps[0].cooperative);
  EXPECT_TRUE(contains(describe_resolved_plan(resolved, plan), "cluster 2 x 2 x 1, dyn_smem 0, cooperative"));
}

TEST(LaunchPlanParse, ExpressionsSeeAxesScalarsDeviceFactsAndEarlierLets) {
  const launch_plan plan = parse_ok(R"json({
    "let": [{"a": "num_sms + cc + max_smem_optin / 1024 + l2_bytes / 1048576"},
            {"b": "a + head_dim + floor(sm_scale * 100)"}],
    "steps": [{"kernel": "k", "grid": "b", "block": 1, "args": [{"i64": "b"}, {"f64": "sm_scale"}]}]})json");
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(1, 1));
  EXPECT_EQ(resolved.lets[0].second, plan_value::of_int(132 + 90 + 227 + 50));
  EXPECT_EQ(resolved.lets[1].second, plan_value::of_int(499 + 128 + 8));
  EXPECT_EQ(from_bytes<std::int64_t>(resolved.steps[0].args[0]), 635);
  EXPECT_EQ(from_bytes<double>(resolved.steps[0].args[1]), 0.08838834764831845);
}

// --- parse: static validation, each error with its JSON path --------------------------------------

TEST(LaunchPlanParseErrors, TopLevelShape) {
  EXPECT_EQ(parse_error("[1, 2]").problem,
            "expected a JSON object with 'steps' (and optionally 'let', 'workspaces'), got array");
  const error missing = parse_error(R"({"let": []})");
  EXPECT_EQ(missing.subject, "launch plan");
  EXPECT_EQ(missing.problem, "'steps' is missing");
  const error empty = parse_error(R"({"steps": []})");
  EXPECT_EQ(empty.subject, "steps");
  EXPECT_EQ(empty.problem, "no steps");
  EXPECT_EQ(parse_error(R"({"steps": {}})").problem, "expected an array, got object");
  const error typo = parse_error(R"({"setps": [], "steps": [{"kernel": "k", "grid": 1, "block": 1, "args": []}]})");
  EXPECT_EQ(typo.subject, "launch plan");
  EXPECT_EQ(typo.problem, "unknown key 'setps' (allowed: let, workspaces, steps, comment)");
  EXPECT_EQ(typo.fix, "did you mean 'steps'?");
  const error json_error = parse_error(R"({"steps": [)");
  EXPECT_EQ(json_error.subject, "launch plan");
  EXPECT_PRED2(starts_with, json_error.problem, "invalid JSON: [json.exception.parse_error");
  EXPECT_EQ(parse_error(R"({"comment": 5, "steps": [{"kernel": "k", "grid": 1, "block": 1, "args": []}]})").subject,
            "comment");
}

TEST(LaunchPlanParseErrors, TooManyStepsAndArgs) {
  std::string steps;
  for (int k = 0; k < 65; ++k)
    steps += std::string(k > 0 ? "," : "") + R"({"kernel": "k", "grid": 1, "block": 1, "args": []})";
  const error many = parse_error(R"({"steps": [)" + steps + "]}");
  EXPECT_EQ(many.subject, "steps");
  EXPECT_EQ(many.problem, "65 entries, over the limit of 64");
  std::string args;
  for (int k = 0; k < 65; ++k) args += std::string(k > 0 ? "," : "") + R"("q")";
  const error too_many_args = parse_error(one_launch(R"("grid": 1, "block": 1, "args": [)" + args + "]"));
  EXPECT_EQ(too_many_args.subject, "steps[0].args");
  EXPECT_EQ(too_many_args.problem, "65 entries, over the limit of 64");
}

TEST(LaunchPlanParseErrors, UnknownKeyInAStepSuggestsTheRightOne) {
  const error e = parse_error(one_launch(R"("grdi": 1, "grid": 1, "block": 1, "args": [])"));
  EXPECT_EQ(e.subject, "steps[0]");
  EXPECT_EQ(e.problem,
            "unknown key 'grdi' (allowed: kernel, grid, block, dyn_smem, cluster, cooperative, when, args, comment)");
  EXPECT_EQ(e.fix, "did you mean 'grid'?");
  // The broken workspace is not reported again where a memset or a launch uses it.
  EXPECT_EQ(parse_error(R"({"workspaces": [{"name": "w", "bytes": "2 +"}],
                            "steps": [{"kernel": "k", "grid": 1, "block": 1, "args": ["w"]}]})")
                .subject,
            "workspaces[0].bytes");
  EXPECT_EQ(
      parse_error(R"({"workspaces": [{"name": "w", "byte": 4}], "steps": [{"memset": "w"}]})").problem,
      "2 problems:\nworkspaces[0]: unknown key 'byte' (allowed: name, bytes, dtype, shape, init, comment) (fix: did "
      "you mean 'bytes'?)\nworkspaces[0]: give either \"bytes\" or \"dtype\" and \"shape\" (fix: e.g. \"bytes\": "
      "\"batch_size * 4\" or \"dtype\": \"float32\", \"shape\": [\"batch_size\"])");
}

TEST(LaunchPlanParseErrors, UnknownNamesInExpressions) {
  const error e = parse_error(one_launch(R"("grid": [4, "bsz"], "block": 1, "args": [])"));
  EXPECT_EQ(e.subject, "steps[0].grid[1]");
  EXPECT_EQ(e.problem,
            "unknown name 'bsz' (known: num_qo_heads, num_kv_heads, head_dim, page_size, batch_size, num_pages, "
            "len_indptr, num_kv_indices, sm_scale, num_sms, cc, max_smem_optin, l2_bytes)");
  const error typo = parse_error(one_launch(R"("grid": "batch_sise", "block": 1, "args": [])"));
  EXPECT_EQ(typo.subject, "steps[0].grid");
  EXPECT_EQ(typo.fix, "did you mean 'batch_size'?");
  const error when = parse_error(one_launch(R"("grid": 1, "block": 1, "when": "splits > 1", "args": [])"));
  EXPECT_EQ(when.subject, "steps[0].when");
  EXPECT_PRED2(starts_with, when.problem, "unknown name 'splits' (known: ");
  const error later = parse_error(R"({"let": [{"a": "b + 1"}, {"b": 2}], "steps": [{"memset": "lse"}]})");
  EXPECT_EQ(later.subject, "let[0].a");
  EXPECT_EQ(later.problem, "'b' is a let defined later");
  EXPECT_EQ(parse_error(R"({"let": [{"a": "a + 1"}], "steps": [{"memset": "lse"}]})").problem, "'a' refers to itself");
  const error tensor = parse_error(one_launch(R"("grid": "q", "block": 1, "args": [])"));
  EXPECT_EQ(tensor.subject, "steps[0].grid");
  EXPECT_EQ(tensor.problem, "'q' is a tensor input, not a value");
  const error smem = parse_error(one_launch(R"("grid": 1, "block": 1, "dyn_smem": "tile * 4", "args": [])"));
  EXPECT_EQ(smem.subject, "steps[0].dyn_smem");
  const error workspace =
      parse_error(R"({"workspaces": [{"name": "w", "bytes": "n * 4"}], "steps": [{"memset": "lse"}]})");
  EXPECT_EQ(workspace.subject, "workspaces[0].bytes");
  const error arg = parse_error(one_launch(R"("grid": 1, "block": 1, "args": [{"i32": "nope"}])"));
  EXPECT_EQ(arg.subject, "steps[0].args[0].i32");
}

TEST(LaunchPlanParseErrors, SyntaxErrorsCarryThePathAndTheCaret) {
  const error e = parse_error(R"({"let": [{"splits": "ceil_div(a, b"}], "steps": [{"memset": "lse"}]})");
  EXPECT_EQ(e.subject, "let[0].splits");
  EXPECT_EQ(e.problem,
            "expected ',' or ')', found the end of the expression at column 14:\n"
            "  ceil_div(a, b\n"
            "               ^");
  const error wrong_type = parse_error(one_launch(R"("grid": [null], "block": 1, "args": [])"));
  EXPECT_EQ(wrong_type.subject, "steps[0].grid[0]");
  EXPECT_EQ(wrong_type.problem, "expected an expression (a string such as \"ceil_div(n, 256)\" or a number), got null");
  EXPECT_EQ(parse_error(one_launch(R"("grid": [18446744073709551615], "block": 1, "args": [])")).problem,
            "18446744073709551615 does not fit int64");
}

TEST(LaunchPlanParseErrors, BrokenLetStillDefinesItsNameSoLaterUsesDoNotCascade) {
  const error e = parse_error(
      R"({"let": [{"splits": "2 +"}], "steps": [{"kernel": "k", "grid": "splits", "block": 1, "args": []}]})");
  EXPECT_EQ(e.subject, "let[0].splits");  // one problem, not a second "unknown name 'splits'"
}

TEST(LaunchPlanParseErrors, LetAndWorkspaceNames) {
  const error shadow = parse_error(R"({"let": [{"batch_size": 1}], "steps": [{"memset": "lse"}]})");
  EXPECT_EQ(shadow.subject, "let[0]");
  EXPECT_EQ(shadow.problem, "'batch_size' is already the name of an axis");
  EXPECT_EQ(parse_error(R"({"let": [{"sm_scale": 1}], "steps": [{"memset": "lse"}]})").problem,
            "'sm_scale' is already the name of a scalar input");
  EXPECT_EQ(parse_error(R"({"let": [{"num_sms": 1}], "steps": [{"memset": "lse"}]})").problem,
            "'num_sms' is already the name of a device fact");
  EXPECT_EQ(parse_error(R"({"let": [{"output": 1}], "steps": [{"memset": "lse"}]})").problem,
            "'output' is already the name of an output");
  EXPECT_EQ(parse_error(R"({"let": [{"a": 1}, {"a": 2}], "steps": [{"memset": "lse"}]})").problem,
            "'a' is already the name of a let");
  EXPECT_EQ(parse_error(R"({"let": [{"min": 1}], "steps": [{"memset": "lse"}]})").problem,
            "'min' is reserved by the expression language");
  EXPECT_EQ(parse_error(R"({"let": [{"2x": 1}], "steps": [{"memset": "lse"}]})").problem, "'2x' is not a valid name");
  EXPECT_EQ(parse_error(R"({"let": {"a": 1}, "steps": [{"memset": "lse"}]})").problem, "expected an array, got object");
  const error two = parse_error(R"({"let": [{"a": 1, "b": 2}], "steps": [{"memset": "lse"}]})");
  EXPECT_EQ(two.subject, "let[0]");
  EXPECT_EQ(two.problem, "each let is an object with one entry, {\"name\": \"expression\"}, got {\"a\":1,\"b\":2}");

  const error input = parse_error(R"({"workspaces": [{"name": "q", "bytes": 4}], "steps": [{"memset": "lse"}]})");
  EXPECT_EQ(input.subject, "workspaces[0].name");
  EXPECT_EQ(input.problem, "'q' is already the name of a tensor input");
  EXPECT_EQ(
      parse_error(
          R"({"workspaces": [{"name": "w", "bytes": 4}, {"name": "w", "bytes": 4}], "steps": [{"memset": "lse"}]})")
          .problem,
      "'w' is already the name of a workspace");
  EXPECT_EQ(
      parse_error(R"({"let": [{"w": 1}], "workspaces": [{"name": "w", "bytes": 4}], "steps": [{"memset": "lse"}]})")
          .problem,
      "'w' is already the name of a let");
  EXPECT_EQ(parse_error(R"({"workspaces": [{"bytes": 4}], "steps": [{"memset": "lse"}]})").problem,
            "a workspace needs a \"name\" (string)");
}

TEST(LaunchPlanParseErrors, WorkspaceSizeAndInit) {
  const auto workspace_error = [](std::string_view fields) {
    return parse_error(R"({"workspaces": [{"name": "w", )" + std::string(fields) +
                       R"(}], "steps": [{"memset": "lse"}]})");
  };
  EXPECT_EQ(workspace_error(R"("bytes": 4, "dtype": "float32", "shape": [1])").problem,
            "give either \"bytes\" or \"dtype\" and \"shape\"");
  EXPECT_EQ(workspace_error(R"("init": "zero")").problem, "give either \"bytes\" or \"dtype\" and \"shape\"");
  EXPECT_EQ(workspace_error(R"("dtype": "float32")").problem, "\"dtype\" needs \"shape\" too");
  EXPECT_EQ(workspace_error(R"("shape": [4])").problem, "\"shape\" needs \"dtype\" too");
  const error dtype = workspace_error(R"("dtype": "float4_e2m1", "shape": [4])");
  EXPECT_EQ(dtype.subject, "workspaces[0].dtype");
  EXPECT_EQ(dtype.problem, "unknown dtype \"float4_e2m1\"");
  EXPECT_PRED2(starts_with, dtype.fix, "use one of: float32, float16, bfloat16");
  EXPECT_EQ(workspace_error(R"("dtype": 4, "shape": [4])").problem, "expected a dtype name, got 4");
  EXPECT_EQ(workspace_error(R"("dtype": "float32", "shape": [])").problem, "needs 1 to 8 entries, got 0");
  const error init = workspace_error(R"("bytes": 4, "init": "zeros")");
  EXPECT_EQ(init.subject, "workspaces[0].init");
  EXPECT_EQ(init.problem, "expected \"none\", \"zero\" or a byte value 0-255, got \"zeros\"");
  EXPECT_EQ(workspace_error(R"("bytes": 4, "init": 256)").problem, "expected a byte value 0-255, got 256");
  EXPECT_EQ(workspace_error(R"("bytes": 4, "init": -1)").problem, "expected a byte value 0-255, got -1");
  std::string many;
  for (int k = 0; k < 17; ++k)
    many += std::string(k > 0 ? "," : "") + R"({"name": "w)" + std::to_string(k) + R"(", "bytes": 4})";
  EXPECT_EQ(parse_error(R"({"workspaces": [)" + many + R"(], "steps": [{"memset": "lse"}]})").problem,
            "17 entries, over the limit of 16");
}

TEST(LaunchPlanParseErrors, StepForm) {
  EXPECT_EQ(parse_error(R"({"steps": [{"grid": 1}]})").problem, "a step needs \"kernel\" (a launch) or \"memset\"");
  EXPECT_EQ(parse_error(R"({"steps": [{"kernel": "k", "memset": "lse"}]})").problem,
            "a step has either \"kernel\" or \"memset\", not both");
  EXPECT_EQ(parse_error(R"({"steps": [3]})").problem,
            "expected an object (a launch with \"kernel\" or a \"memset\"), got number");
  const error kernel = parse_error(R"({"steps": [{"kernel": "my-kernel", "grid": 1, "block": 1, "args": []}]})");
  EXPECT_EQ(kernel.subject, "steps[0].kernel");
  EXPECT_EQ(kernel.problem, "expected the name of an extern \"C\" __global__ function, got \"my-kernel\"");
  const error grid = parse_error(one_launch(R"("block": 1, "args": [])"));
  EXPECT_EQ(grid.subject, "steps[0]");
  EXPECT_EQ(grid.problem, "a launch needs \"grid\"");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "args": [])")).problem, "a launch needs \"block\"");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "block": 1)")).problem,
            "a launch needs \"args\" (the kernel's parameters in order; [] for none)");
  const error dims = parse_error(one_launch(R"("grid": [1, 1, 1, 1], "block": 1, "args": [])"));
  EXPECT_EQ(dims.subject, "steps[0].grid");
  EXPECT_EQ(dims.problem, "needs 1 to 3 entries, got 4");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "block": [], "args": [])")).problem, "needs 1 to 3 entries, got 0");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "block": 1, "cluster": [], "args": [])")).subject, "steps[0].cluster");
  const error cooperative = parse_error(one_launch(R"("grid": 1, "block": 1, "cooperative": "yes", "args": [])"));
  EXPECT_EQ(cooperative.subject, "steps[0].cooperative");
  EXPECT_EQ(cooperative.problem, "expected true or false, got \"yes\"");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "block": 1, "args": "q")")).problem, "expected an array, got string");
}

TEST(LaunchPlanParseErrors, Arguments) {
  const error unknown = parse_error(one_launch(R"("grid": 1, "block": 1, "args": ["q", "qq"])"));
  EXPECT_EQ(unknown.subject, "steps[0].args[1]");
  EXPECT_EQ(unknown.problem,
            "unknown name 'qq' (known: q, k_cache, v_cache, kv_indptr, kv_indices, output, lse, sm_scale)");
  EXPECT_EQ(unknown.fix, "did you mean 'q'?");
  const error axis = parse_error(one_launch(R"("grid": 1, "block": 1, "args": ["batch_size"])"));
  EXPECT_EQ(axis.subject, "steps[0].args[0]");
  EXPECT_EQ(axis.problem, "'batch_size' is an axis; a value needs its C type");
  EXPECT_EQ(axis.fix, "pass it as {\"i32\": \"batch_size\"} (or i64, u32, u64, f32, f64)");
  EXPECT_EQ(
      parse_error(R"({"let": [{"s": 2}], "steps": [{"kernel": "k", "grid": 1, "block": 1, "args": ["s"]}]})").problem,
      "'s' is a let; a value needs its C type");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "block": 1, "args": ["num_sms"])")).problem,
            "'num_sms' is a device fact; a value needs its C type");
  const error number = parse_error(one_launch(R"("grid": 1, "block": 1, "args": [4])"));
  EXPECT_EQ(number.problem, "a number needs its C type");
  EXPECT_EQ(number.fix, "write {\"i32\": 4} (or i64, u32, u64, f32, f64)");
  const error type = parse_error(one_launch(R"("grid": 1, "block": 1, "args": [{"int": 4}])"));
  EXPECT_EQ(type.subject, "steps[0].args[0]");
  EXPECT_EQ(type.problem, "unknown scalar type 'int' (allowed: i32, i64, u32, u64, f32, f64)");
  EXPECT_EQ(parse_error(one_launch(R"("grid": 1, "block": 1, "args": [{"i32": 4, "i64": 4}])")).problem,
            "a typed value is an object with one entry, e.g. {\"i32\": \"batch_size\"}, got {\"i32\":4,\"i64\":4}");
  EXPECT_EQ(
      parse_error(one_launch(R"("grid": 1, "block": 1, "args": [null])")).problem,
      "expected the name of a tensor, workspace or scalar input, or a typed value such as {\"i32\": \"batch_size\"}, "
      "got null");
}

TEST(LaunchPlanParseErrors, Memset) {
  const error input = parse_error(R"({"steps": [{"memset": "q"}]})");
  EXPECT_EQ(input.subject, "steps[0].memset");
  EXPECT_EQ(input.problem, "'q' is a tensor input; inputs are read-only");
  const error unknown = parse_error(R"({"steps": [{"memset": "lsee"}]})");
  EXPECT_EQ(unknown.problem, "unknown name 'lsee' (known: output, lse)");
  EXPECT_EQ(unknown.fix, "did you mean 'lse'?");
  const error value = parse_error(R"({"steps": [{"memset": "lse", "value": 300}]})");
  EXPECT_EQ(value.subject, "steps[0].value");
  EXPECT_EQ(value.problem, "expected a byte value 0-255, got 300");
  EXPECT_EQ(parse_error(R"({"steps": [{"memset": "lse", "grid": 1}]})").problem,
            "unknown key 'grid' (allowed: memset, value, when, comment)");
}

TEST(LaunchPlanParseErrors, SeveralProblemsAreReportedTogether) {
  const error e = parse_error(R"({"let": [{"batch_size": 1}],
    "steps": [{"kernel": "k", "grid": "bsz", "block": 1, "args": ["qq"]}, {"memset": "q"}]})");
  EXPECT_EQ(e.subject, "launch plan");
  EXPECT_PRED2(starts_with, e.problem, "4 problems:\nlet[0]: 'batch_size' is already the name of an axis");
  EXPECT_TRUE(contains(e.problem, "\nsteps[0].grid: unknown name 'bsz'"));
  EXPECT_TRUE(contains(e.problem, "\nsteps[0].args[0]: unknown name 'qq'"));
  EXPECT_TRUE(contains(e.problem, "\nsteps[1].memset: 'q' is a tensor input"));
}

TEST(LaunchPlanParseErrors, DeeplyNestedJsonIsRejectedWithoutRecursingIntoIt) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const error e = parse_error(one_launch(R"("grid": 1, "block": 1, "args": [)" + deep + "]"));
  EXPECT_EQ(e.subject, "steps[0].args[0]");
  EXPECT_EQ(
      e.problem,
      "expected the name of a tensor, workspace or scalar input, or a typed value such as {\"i32\": \"batch_size\"}, "
      "got a deeply nested array");
}

TEST(LaunchPlanParse, AcceptsOrderedJsonDocuments) {
  const ordered_json doc = ordered_json::parse(worked_example_plan());
  auto plan = parse_launch_plan(doc, gqa_interface());
  ASSERT_TRUE(plan.has_value()) << plan.error().to_string();
  EXPECT_EQ(plan->lets[0].name, "avg_kv");
}

TEST(LaunchPlanParseErrors, InterfaceCollisions) {
  plan_interface iface = gqa_interface();
  iface.scalar_inputs.emplace_back("q", scalar_type::i32);
  const error e = parse_error(R"({"steps": [{"memset": "lse"}]})", iface);
  EXPECT_EQ(e.subject, "plan interface");
  EXPECT_EQ(e.problem, "'q' is both a scalar input and a tensor input");
  // An axis may share a name with a tensor: expressions see the axis, arguments the tensor.
  plan_interface shared = gqa_interface();
  shared.axes.push_back("lse");
  const launch_plan plan =
      parse_ok(R"({"steps": [{"kernel": "k", "grid": "lse", "block": 1, "args": ["lse"]}]})", shared);
  EXPECT_EQ(plan.steps[0].args[0].kind, arg_kind::output);
}

// --- resolve: per-workload checks ---------------------------------------------------------------

TEST(LaunchPlanResolve, GridLimits) {
  const error zero = resolve_error(one_launch(R"("grid": ["batch_size - 16"], "block": 1, "args": [])"));
  EXPECT_EQ(zero.subject, "steps[0].grid[0]");
  EXPECT_EQ(zero.problem, "grid x is 0; dimensions must be at least 1");
  const error y = resolve_error(one_launch(R"("grid": [1, 70000], "block": 1, "args": [])"));
  EXPECT_EQ(y.subject, "steps[0].grid[1]");
  EXPECT_EQ(y.problem, "grid y is 70000, over the device limit 65535");
  EXPECT_EQ(resolve_error(one_launch(R"("grid": [1, 1, 65536], "block": 1, "args": [])")).problem,
            "grid z is 65536, over the device limit 65535");
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 2147483648, "block": 1, "args": [])")).problem,
            "grid x is 2147483648, over the device limit 2147483647");
  const error float_grid = resolve_error(one_launch(R"("grid": ["num_kv_indices / 3.0"], "block": 1, "args": [])"));
  EXPECT_EQ(float_grid.subject, "steps[0].grid[0]");
  EXPECT_EQ(float_grid.problem, "a float (5333.333333333333) where an int is needed");
  EXPECT_EQ(float_grid.fix, "use floor(), ceil() or round() to turn a float into an int");
}

TEST(LaunchPlanResolve, BlockLimits) {
  const error threads = resolve_error(one_launch(R"("grid": 1, "block": [32, 64], "args": [])"));
  EXPECT_EQ(threads.subject, "steps[0].block");
  EXPECT_EQ(threads.problem, "32 x 64 x 1 = 2048 threads, over the device limit 1024");
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 1, "block": [1, 1, 65], "args": [])")).problem,
            "block z is 65, over the device limit 64");
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 1, "block": [2048], "args": [])")).problem,
            "block x is 2048, over the device limit 1024");
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 1, "block": [32, -1], "args": [])")).problem,
            "block y is -1; dimensions must be at least 1");
  device_limits small = test_support::hopper_limits();
  small.max_threads_per_block = 512;
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 1, "block": [1024], "args": [])"), gqa_workload(1, 1), small).problem,
            "1024 x 1 x 1 = 1024 threads, over the device limit 512");
}

TEST(LaunchPlanResolve, DynamicSharedMemoryLimits) {
  const error over = resolve_error(one_launch(R"("grid": 1, "block": 1, "dyn_smem": 300000, "args": [])"));
  EXPECT_EQ(over.subject, "steps[0].dyn_smem");
  EXPECT_EQ(over.problem, "300000 bytes, over the device's opt-in limit of 232448 bytes (max_smem_optin)");
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 1, "block": 1, "dyn_smem": -4, "args": [])")).problem,
            "-4 bytes; it must not be negative");
  const launch_plan at_limit =
      parse_ok(one_launch(R"("grid": 1, "block": 1, "dyn_smem": "max_smem_optin", "args": [])"));
  EXPECT_EQ(resolve_ok(at_limit, gqa_workload(1, 1)).steps[0].dyn_smem, 232448u);
}

TEST(LaunchPlanResolve, ClusterLimits) {
  const error product = resolve_error(one_launch(R"("grid": [16, 4], "block": 32, "cluster": [4, 4], "args": [])"));
  EXPECT_EQ(product.subject, "steps[0].cluster");
  EXPECT_EQ(product.problem, "4 x 4 x 1 = 16 blocks, over the device limit 8");
  const error dim = resolve_error(one_launch(R"("grid": [16], "block": 32, "cluster": [16], "args": [])"));
  EXPECT_EQ(dim.subject, "steps[0].cluster[0]");
  EXPECT_EQ(dim.problem, "cluster x is 16, over the device limit 8");
  const error divisible = resolve_error(one_launch(R"("grid": [6], "block": 32, "cluster": [4], "args": [])"));
  EXPECT_EQ(divisible.subject, "steps[0].cluster");
  EXPECT_EQ(divisible.problem, "grid 6 x 1 x 1 is not divisible by cluster 4 x 1 x 1");
  EXPECT_EQ(divisible.fix, "round the grid up to a multiple of the cluster, e.g. round_up(n, 4)");
  device_limits ampere = test_support::hopper_limits();
  ampere.cc = 80;
  ampere.max_cluster_size = 1;
  const error old =
      resolve_error(one_launch(R"("grid": [8], "block": 32, "cluster": [2], "args": [])"), gqa_workload(1, 1), ampere);
  EXPECT_EQ(old.problem, "thread block clusters need compute capability 9.0 or newer; this device is 8.0");
  const launch_plan trivial = parse_ok(one_launch(R"("grid": [8], "block": 32, "cluster": [1], "args": [])"));
  EXPECT_EQ(resolve_ok(trivial, gqa_workload(1, 1), ampere).steps[0].cluster, (std::array<std::uint32_t, 3>{1, 1, 1}));
}

TEST(LaunchPlanResolve, WorkspaceLimits) {
  const error zero =
      resolve_error(R"({"workspaces": [{"name": "w", "bytes": "batch_size - 16"}], "steps": [{"memset": "w"}]})");
  EXPECT_EQ(zero.subject, "workspaces[0].bytes");
  EXPECT_EQ(zero.problem, "0 bytes; a workspace needs at least 1 byte");
  EXPECT_EQ(zero.fix, "size it with max(1, ...) or drop the workspace");
  const error over =
      resolve_error(R"({"workspaces": [{"name": "w", "bytes": 17179869185}], "steps": [{"memset": "w"}]})");
  EXPECT_EQ(over.problem, "17179869185 bytes, over the limit of 17179869184 bytes per workspace");
  const error shape = resolve_error(
      R"({"workspaces": [{"name": "w", "dtype": "int64", "shape": ["batch_size", "16 - batch_size"]}], "steps": [{"memset": "w"}]})");
  EXPECT_EQ(shape.subject, "workspaces[0].shape");
  EXPECT_EQ(shape.problem, "0 bytes; a workspace needs at least 1 byte");
  const error negative = resolve_error(
      R"({"workspaces": [{"name": "w", "dtype": "int64", "shape": ["batch_size", "-2"]}], "steps": [{"memset": "w"}]})");
  EXPECT_EQ(negative.subject, "workspaces[0].shape[1]");
  EXPECT_EQ(negative.problem, "dimension is -2; it must not be negative");
  const error overflow = resolve_error(
      R"({"workspaces": [{"name": "w", "dtype": "int64", "shape": [4294967296, 4294967296]}], "steps": [{"memset": "w"}]})");
  EXPECT_EQ(overflow.problem, "int64 overflow: 4294967296 x 4294967296 elements of int64");
  device_limits small = test_support::hopper_limits();
  small.max_workspace_bytes = 1000;
  EXPECT_EQ(resolve_error(
                R"({"workspaces": [{"name": "w", "dtype": "float32", "shape": [251]}], "steps": [{"memset": "w"}]})",
                gqa_workload(1, 1), small)
                .problem,
            "1004 bytes, over the limit of 1000 bytes per workspace");
  const error float_bytes =
      resolve_error(R"({"workspaces": [{"name": "w", "bytes": 2.5}], "steps": [{"memset": "w"}]})");
  EXPECT_EQ(float_bytes.problem, "a float (2.5) where an int is needed");
}

TEST(LaunchPlanResolve, ScalarArgumentsAreTypedAndRangeChecked) {
  const launch_plan plan = parse_ok(one_launch(R"("grid": 1, "block": 1, "args": [
      {"i32": -5}, {"i64": "-2 * 3000000000"}, {"u32": 4294967295}, {"u64": "batch_size"}, {"f32": 0.1}, {"f64": 0.1},
      {"f32": "batch_size"}])"));
  const resolved_plan resolved = resolve_ok(plan, gqa_workload(16, 16000));
  const std::vector<resolved_arg>& args = resolved.steps[0].args;
  ASSERT_EQ(args.size(), 7u);
  EXPECT_EQ(from_bytes<std::int32_t>(args[0]), -5);
  EXPECT_EQ(args[0].param_size(), 4u);
  EXPECT_EQ(from_bytes<std::int64_t>(args[1]), -6000000000);
  EXPECT_EQ(args[1].param_size(), 8u);
  EXPECT_EQ(from_bytes<std::uint32_t>(args[2]), 4294967295u);
  EXPECT_EQ(from_bytes<std::uint64_t>(args[3]), 16u);
  EXPECT_EQ(from_bytes<float>(args[4]), 0.1f);
  EXPECT_EQ(args[4].value, plan_value::of_float(static_cast<double>(0.1f)));
  EXPECT_EQ(from_bytes<double>(args[5]), 0.1);
  EXPECT_EQ(from_bytes<float>(args[6]), 16.0f);  // an int converts to a float type
  EXPECT_EQ(args[6].value, plan_value::of_float(16.0));
}

TEST(LaunchPlanResolve, ScalarArgumentErrors) {
  const auto arg_error = [](std::string_view arg, const symbol_table& symbols = gqa_workload(16, 16000)) {
    return resolve_error(one_launch(R"("grid": 1, "block": 1, "args": [)" + std::string(arg) + "]"), symbols);
  };
  const error i32 = arg_error(R"({"i32": "num_kv_indices * 1000000"})");
  EXPECT_EQ(i32.subject, "steps[0].args[0].i32");
  EXPECT_EQ(i32.problem, "16000000000 does not fit i32");
  EXPECT_EQ(arg_error(R"({"i32": -2147483649})").problem, "-2147483649 does not fit i32");
  EXPECT_EQ(arg_error(R"({"u32": -1})").problem, "-1 does not fit u32");
  EXPECT_EQ(arg_error(R"({"u32": 4294967296})").problem, "4294967296 does not fit u32");
  EXPECT_EQ(arg_error(R"({"u64": -1})").problem, "-1 does not fit u64");
  EXPECT_EQ(arg_error(R"({"f32": 1e39})").problem, "1e+39 does not fit f32");
  const error float_int = arg_error(R"({"i64": "sm_scale * 2"})");
  EXPECT_EQ(float_int.problem, "a float (0.1767766952966369) where i64 is needed");
  EXPECT_EQ(float_int.fix, "use floor(), ceil() or round() to turn a float into an int");
  // A bare scalar input takes its dtype's type, and its value must fit it.
  plan_interface iface = gqa_interface();
  iface.scalar_inputs.emplace_back("offset", scalar_type::i32);
  symbol_table symbols = gqa_workload(1, 1);
  symbols.set_float("offset", 2.5);
  const error bare =
      resolve_error(one_launch(R"("grid": 1, "block": 1, "args": ["q", "offset"])"), symbols, test_support::hopper_limits(), iface);
  EXPECT_EQ(bare.subject, "steps[0].args[1]");
  EXPECT_EQ(bare.problem, "a float (2.5) where i32 is needed");
  symbols.set_int("offset", 64);
  const launch_plan plan = parse_ok(one_launch(R"("grid": 1, "block": 1, "args": ["offset"])"), iface);
  const resolved_plan resolved = resolve_ok(plan, symbols);
  EXPECT_EQ(resolved.steps[0].args[0].type, scalar_type::i32);
  EXPECT_EQ(from_bytes<std::int32_t>(resolved.steps[0].args[0]), 64);
}

TEST(LaunchPlanResolve, EvaluationErrorsNameTheirField) {
  const error let = resolve_error(worked_example_plan(), gqa_workload(0, 100));
  EXPECT_EQ(let.subject, "let[0].avg_kv");
  EXPECT_EQ(let.problem,
            "division by zero: 100 / 0 at column 16:\n"
            "  num_kv_indices / batch_size\n"
            "                 ^");
  const error when =
      resolve_error(one_launch(R"json("grid": 1, "block": 1, "when": "1 / (batch_size - 16)", "args": [])json"));
  EXPECT_EQ(when.subject, "steps[0].when");
  EXPECT_PRED2(starts_with, when.problem, "division by zero: 1 / 0 at column 3:");
}

TEST(LaunchPlanResolve, AWorkloadWhereEveryStepIsSkippedIsAnError) {
  const error e = resolve_error(one_launch(R"("grid": 1, "block": 1, "when": "batch_size > 100", "args": [])"));
  EXPECT_EQ(e.subject, "steps");
  EXPECT_EQ(e.problem, "every step is skipped by its 'when' on this workload, so nothing would write the outputs");
}

TEST(LaunchPlanResolve, MissingWorkloadSymbolIsReportedAsAHarnessBug) {
  symbol_table symbols = gqa_workload(1, 1);
  symbol_table partial;
  for (const std::string& name : symbols.names()) {
    if (name != "num_pages") partial.set(name, *symbols.lookup(name));
  }
  const error axis = resolve_error(one_launch(R"("grid": 1, "block": 1, "args": [])"), partial);
  EXPECT_EQ(axis.subject, "workload symbols");
  EXPECT_EQ(axis.problem, "no value for axis 'num_pages'");
  symbol_table no_scale;
  for (const std::string& name : symbols.names()) {
    if (name != "sm_scale") no_scale.set(name, *symbols.lookup(name));
  }
  EXPECT_EQ(resolve_error(one_launch(R"("grid": 1, "block": 1, "args": [])"), no_scale).problem,
            "no value for scalar input 'sm_scale'");
}

TEST(LaunchPlanResolve, DeviceFactsComeFromTheLimits) {
  const launch_plan plan = parse_ok(one_launch(R"("grid": "num_sms", "block": 1, "args": [{"i32": "cc"}])"));
  symbol_table symbols = gqa_workload(1, 1);
  symbols.set_int("num_sms", 1);  // stale value in the workload table: the limits win
  device_limits limits = test_support::hopper_limits();
  limits.num_sms = 114;
  const resolved_plan resolved = resolve_ok(plan, symbols, limits);
  EXPECT_EQ(resolved.steps[0].grid[0], 114u);
  EXPECT_EQ(from_bytes<std::int32_t>(resolved.steps[0].args[0]), 90);
}

TEST(LaunchPlanResolve, LargestDynamicSharedMemoryPerKernel) {
  const launch_plan plan = parse_ok(R"({"steps": [
    {"kernel": "b", "grid": 1, "block": 1, "dyn_smem": 1024, "args": []},
    {"kernel": "a", "grid": 1, "block": 1, "dyn_smem": 100000, "args": []},
    {"kernel": "b", "grid": 1, "block": 1, "dyn_smem": "64 * 1024", "args": []},
    {"kernel": "c", "grid": 1, "block": 1, "dyn_smem": 200000, "when": 0, "args": []},
    {"memset": "lse"}]})");
  EXPECT_EQ(kernel_names(plan), (std::vector<std::string>{"b", "a", "c"}));
  const auto smem = max_dyn_smem_per_kernel(resolve_ok(plan, gqa_workload(1, 1)));
  ASSERT_EQ(smem.size(), 2u);  // c never runs
  EXPECT_EQ(smem[0].kernel, "b");
  EXPECT_EQ(smem[0].max_dyn_smem, 65536u);
  EXPECT_EQ(smem[1].kernel, "a");
  EXPECT_EQ(smem[1].max_dyn_smem, 100000u);
}

// --- helpers ------------------------------------------------------------------------------------

TEST(LaunchPlanTypes, ScalarTypesFromDtypes) {
  EXPECT_EQ(scalar_type_from_dtype("int32"), scalar_type::i32);
  EXPECT_EQ(scalar_type_from_dtype("int64"), scalar_type::i64);
  EXPECT_EQ(scalar_type_from_dtype("uint32"), scalar_type::u32);
  EXPECT_EQ(scalar_type_from_dtype("uint64"), scalar_type::u64);
  EXPECT_EQ(scalar_type_from_dtype("float32"), scalar_type::f32);
  EXPECT_EQ(scalar_type_from_dtype("float64"), scalar_type::f64);
  const auto unsupported = scalar_type_from_dtype("bool");
  ASSERT_FALSE(unsupported.has_value());
  EXPECT_EQ(unsupported.error().subject, "bool");
  EXPECT_EQ(unsupported.error().problem, "no kernel parameter type for a scalar of dtype 'bool'");
  EXPECT_FALSE(scalar_type_from_dtype("bfloat16").has_value());
  EXPECT_EQ(to_string(scalar_type::u64), "u64");
  EXPECT_EQ(byte_size(scalar_type::f32), 4u);
  EXPECT_EQ(byte_size(scalar_type::i64), 8u);
}

TEST(LaunchPlanTypes, DeviceFactsAndLimitsFromADevice) {
  device_info h100_info;
  h100_info.sm_count = 132;
  h100_info.cc_major = 9;
  h100_info.cc_minor = 0;
  h100_info.max_smem_optin_bytes = 232448;
  h100_info.l2_bytes = 52428800;
  const device_limits limits = device_limits_from(h100_info);
  EXPECT_EQ(limits.num_sms, 132);
  EXPECT_EQ(limits.cc, 90);
  EXPECT_EQ(limits.max_smem_optin, 232448);
  EXPECT_EQ(limits.l2_bytes, 52428800);
  EXPECT_EQ(limits.max_cluster_size, 8);
  EXPECT_EQ(limits.max_threads_per_block, 1024);
  device_info a100_info = h100_info;
  a100_info.cc_major = 8;
  EXPECT_EQ(device_limits_from(a100_info).max_cluster_size, 1);

  symbol_table symbols;
  add_device_facts(symbols, limits);
  EXPECT_EQ(symbols.names(), (std::vector<std::string>{"num_sms", "cc", "max_smem_optin", "l2_bytes"}));
  EXPECT_EQ(symbols.lookup("l2_bytes"), plan_value::of_int(52428800));
}

}  // namespace
}  // namespace ksearch::eval
