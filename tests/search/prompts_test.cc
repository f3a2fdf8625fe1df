#include "ksearch/search/prompts.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ksearch/common/json.h"
#include "ksearch/search/candidate_reply.h"
#include "ksearch/tasks/definition.h"
#include "ksearch/tasks/definition_text.h"

namespace ksearch::search {
namespace {

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

class Prompts : public testing::Test {
 protected:
  void SetUp() override {
    auto loaded = prompt_library::load(std::filesystem::path(KSEARCH_SOURCE_DIR) / "prompts");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    lib_ = std::move(*loaded);
    auto def = tasks::load_definition(std::filesystem::path(KSEARCH_TEST_DATA_DIR) /
                                      "flashinfer-mini/definitions/elementwise/scale_add_d256.json");
    ASSERT_TRUE(def.has_value()) << def.error().to_string();
    definition_ = tasks::definition_text(*def);
  }

  /// Every prompt: rendered, all tags replaced, no template comments left.
  static void expect_clean(const result<std::string>& prompt) {
    ASSERT_TRUE(prompt.has_value()) << prompt.error().to_string();
    EXPECT_FALSE(has(*prompt, "{{")) << *prompt;
    EXPECT_FALSE(has(*prompt, "\n\n\n")) << "sections leave no blank runs:\n" << *prompt;
    // KSEARCH_DUMP_PROMPTS=<folder> writes every prompt rendered here, to read them whole.
    if (const char* dump = std::getenv("KSEARCH_DUMP_PROMPTS"); dump != nullptr) {
      std::ofstream(std::string(dump) + "/" + testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                    std::to_string(dump_count_++) + ".md")
          << *prompt;
    }
  }

  static inline int dump_count_ = 0;
  std::optional<prompt_library> lib_;
  std::string definition_;

  const std::string schema_guide_ = json::parse(R"({"kernel_summary": "...", "open_questions": ["..."],
      "decision_tree": {"root_id": "root", "active_leaf_id": "root", "nodes": [{"node_id": "root", "parent_id": null,
      "decision": null, "choice": null, "overall_rating_0_to_10": 0, "confidence_0_to_1": 0, "notes": "",
      "action": {"title": "", "description": "", "difficulty_1_to_5": 3, "score_0_to_1": 0}}]}})")
                                        .dump(2);
  const std::string view_ =
      R"({"decision_tree": {"nodes": [{"node_id": "root"}, {"node_id": "n_vec4", "parent_id": "root",
      "action": {"title": "float4 loads", "score_0_to_1": 0.7}}]}})";
  const std::string base_code_ =
      "<file path=\"kernel.cu\">\nextern \"C\" __global__ void base_kernel() {}\n</file>\n\n"
      "<file path=\"launch.json\">\n{\"steps\": []}\n</file>\n";
  const std::string current_code_ =
      "<file path=\"kernel.cu\">\nextern \"C\" __global__ void current_kernel() {}\n</file>\n\n"
      "<file path=\"launch.json\">\n{\"steps\": []}\n</file>\n";
  const std::string action_ = "World Model: Chosen Next Action\nnode_id: n_vec4\ntitle: Vectorize with float4 loads";
};

TEST_F(Prompts, EveryBundledTemplateLoads) {
  for (const char* name :
       {"candidate_format", "hardware_hint", "performance_targets", "world_model_context", "world_model_init",
        "world_model_edit", "codegen_action", "codegen_debug", "codegen_improve", "plain_generate", "plain_optimize"}) {
    EXPECT_NE(lib_->find(name), nullptr) << name;
  }
}

TEST_F(Prompts, CandidateFormatStatesTheContractAndItsExampleParses) {
  auto format = candidate_format_text(*lib_);
  expect_clean(format);
  for (const char* part : {"NVRTC", "extern \"C\" __global__", "no `<<<...>>>`", "\"steps\"",
                           "{\"i32\": \"batch_size\"}", "ceil_div(a, b)", "max_smem_optin", "destination-passing",
                           "<file path=\"kernel.cu\">", "<file path=\"launch.json\">"}) {
    EXPECT_TRUE(has(*format, part)) << part;
  }
  // The worked example must be a candidate the parser accepts, with a plan that is JSON.
  auto example = parse_candidate_reply(*format, {"example", "scale_add", "tests", "H100"});
  ASSERT_TRUE(example.has_value()) << example.error().to_string();
  EXPECT_TRUE(has(*example->source("kernel.cu"), "extern \"C\" __global__ void scale_add("));
  EXPECT_EQ(json::parse(*example->source("launch.json"))["steps"][0]["kernel"], "scale_add");
}

TEST_F(Prompts, TheHardwareHintPicksTheMmaByTileSizeAndPromisesNoTensorMaps) {
  world_model_init_inputs in{.target_gpu = "H100", .definition_text = definition_, .schema_guide_json = schema_guide_};
  auto prompt = world_model_init_prompt(*lib_, in);
  expect_clean(prompt);
  // Decode's few rows per tile want mma.sync; wgmma's 64-row tiles are for large ones (issue 21).
  EXPECT_TRUE(has(*prompt, "small-M work (decode")) << *prompt;
  EXPECT_TRUE(has(*prompt, "64-row tiles"));
  // The contract has no host code, so no tensor maps: the hint must not offer TMA tensor copies.
  EXPECT_TRUE(has(*prompt, "no tensor maps"));
  EXPECT_FALSE(has(*prompt, "fed by TMA"));
}

TEST_F(Prompts, InitPromptShowsTheSeedOnlyWhenGiven) {
  world_model_init_inputs in{.target_gpu = "H100", .definition_text = definition_, .schema_guide_json = schema_guide_};
  auto plain = world_model_init_prompt(*lib_, in);
  expect_clean(plain);
  for (const std::string& part : {definition_, schema_guide_, std::string("Return ONLY one JSON object"),
                                  std::string("wgmma"), std::string("SELF_CHECK"), std::string("H100")}) {
    EXPECT_TRUE(has(*plain, part)) << part;
  }
  EXPECT_FALSE(has(*plain, "Existing solution"));

  in.seed_code = current_code_;
  in.seed_summary = "mean_latency_ms: 0.0123";
  auto seeded = world_model_init_prompt(*lib_, in);
  expect_clean(seeded);
  EXPECT_TRUE(has(*seeded, "Existing solution"));
  EXPECT_TRUE(has(*seeded, current_code_));
  EXPECT_TRUE(has(*seeded, "mean_latency_ms: 0.0123"));

  in.seed_code.clear();
  EXPECT_EQ(world_model_init_prompt(*lib_, in).error().subject, "world_model_init_prompt: seed_summary");
  in.schema_guide_json.clear();
  in.seed_summary.clear();
  EXPECT_EQ(world_model_init_prompt(*lib_, in).error().subject, "world_model_init_prompt: schema_guide_json");
}

TEST_F(Prompts, EditPromptPerUse) {
  world_model_edit_inputs in{.use = edit_use::propose,
                             .target_gpu = "H100",
                             .definition_text = definition_,
                             .world_model_view = view_,
                             .status = "REQUIREMENT: add at least one executable OPEN action with score_0_to_1 > 0.5.",
                             .frontier = "- n_vec4 (parent root) difficulty 2: float4 loads",
                             .tree_path = "- root: <root>",
                             .baseline_targets = "workload 1a2b: 0.0100 ms"};
  auto propose = world_model_edit_prompt(*lib_, in);
  expect_clean(propose);
  for (const std::string& part :
       {std::string("keep the frontier stocked"), in.status, in.frontier, in.tree_path, in.baseline_targets, view_,
        std::string("Chosen action: none"), std::string("Prediction: none"), std::string("Evaluation: none"),
        std::string("Set action.expected_vs_baseline_factor"), std::string("\"delete_node\"")}) {
    EXPECT_TRUE(has(*propose, part)) << part;
  }
  for (const char* absent :
       {"Continuation rule", "failed action", "Current code", "previous answer was rejected", "Debug-and-improve"}) {
    EXPECT_FALSE(has(*propose, absent)) << absent;
  }

  in.use = edit_use::refine;
  EXPECT_EQ(world_model_edit_prompt(*lib_, in).error().subject, "world_model_edit_prompt: chosen_action");
  in.chosen_action = action_;
  EXPECT_EQ(world_model_edit_prompt(*lib_, in).error().subject, "world_model_edit_prompt: eval_json");
  in.eval_json = R"({"status": "passed", "latency_ms": 0.009, "mean_vs_baseline_factor": 1.11})";
  in.prediction_json = R"({"expected_vs_baseline_factor": 1.3, "confidence": 0.5})";
  in.baseline_targets.clear();
  in.current_code = current_code_;
  auto refine = world_model_edit_prompt(*lib_, in);
  expect_clean(refine);
  for (const std::string& part : {std::string("Continuation rule"), action_, in.eval_json, in.prediction_json,
                                  std::string("PERF_GAP"), current_code_, std::string("numbers must move")}) {
    EXPECT_TRUE(has(*refine, part)) << part;
  }
  EXPECT_FALSE(has(*refine, "Baseline targets"));
  EXPECT_FALSE(has(*refine, "keep the frontier stocked"));

  in.use = edit_use::too_hard;
  in.debug_round = 3;
  in.max_debug_rounds = 5;
  auto too_hard = world_model_edit_prompt(*lib_, in);
  expect_clean(too_hard);
  EXPECT_TRUE(has(*too_hard, "Debug-and-improve rounds used: 3 of 5"));
  EXPECT_TRUE(has(*too_hard, "The failed action must not stay as it is"));
  in.debug_round = 6;
  EXPECT_EQ(
      world_model_edit_prompt(*lib_, in).error().to_string(),
      "world_model_edit_prompt: debug_round: 6 is over max_debug_rounds 5 (fix: pass the cycle's real cap; the round "
      "shown must be the real one)");
  in.debug_round = 0;
  auto unnumbered = world_model_edit_prompt(*lib_, in);
  ASSERT_TRUE(unnumbered.has_value()) << unnumbered.error().to_string();
  EXPECT_FALSE(has(*unnumbered, "Debug-and-improve")) << "0 rounds: nothing to show, whatever the cap";
}

TEST_F(Prompts, EditPromptShowsValidationErrorsInFull) {
  std::string errors;
  for (int i = 0; i < 12; ++i) {
    errors += "- op " + std::to_string(i) + ": insert_node under 'node_" + std::to_string(i) +
              "' skipped: parent_solution_id does not match the parent's solution (expected 3f2a...; got 9c1b...)\n";
  }
  ASSERT_GT(errors.size(), 1000u) << "longer than K-Search's 500-character action field";
  world_model_edit_inputs in{.use = edit_use::refine,
                             .target_gpu = "H100",
                             .definition_text = definition_,
                             .world_model_view = view_,
                             .chosen_action = action_,
                             .eval_json = R"({"status": "passed"})",
                             .validation_errors = errors};
  auto prompt = world_model_edit_prompt(*lib_, in);
  expect_clean(prompt);
  EXPECT_TRUE(has(*prompt, "Your previous answer was rejected"));
  EXPECT_TRUE(has(*prompt, errors.substr(0, errors.size() - 1))) << "every error, uncut";
  EXPECT_TRUE(has(*prompt, "Chosen action:\n" + action_ + "\n")) << "the action block stays as it was";
}

TEST_F(Prompts, EditPromptCompactsTheDefinitionAndKeepsTheViewWhole) {
  std::string long_definition = "Name: big\nType: t\nDescription: d\n\nAxes:\n";
  for (int i = 0; i < 30; ++i) long_definition += "  a" + std::to_string(i) + ": variable\n";
  long_definition += "\nReference Implementation:\n";
  for (int i = 0; i < 100; ++i) long_definition += "x" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  world_model_edit_inputs in{.target_gpu = "H100", .definition_text = long_definition, .world_model_view = view_};
  auto prompt = world_model_edit_prompt(*lib_, in);
  expect_clean(prompt);
  EXPECT_TRUE(has(*prompt, "  a17: variable\n... (12 lines omitted) ...\n"));
  EXPECT_FALSE(has(*prompt, "a18: variable"));
  EXPECT_TRUE(has(*prompt, "x39 = 39\n... (60 lines omitted) ...\n"));

  in.world_model_view = "[" + std::string(prompt_budget::edit_world_model_view - 1, '1') + "]";
  auto too_big = world_model_edit_prompt(*lib_, in);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_TRUE(has(too_big.error().to_string(), "world_model_edit.md: {{world_model_view}}"))
      << too_big.error().to_string();
}

TEST_F(Prompts, CodegenActionAndSpecAction) {
  codegen_inputs in{.mode = codegen_mode::action,
                    .target_gpu = "H100",
                    .definition_text = definition_,
                    .base_code = base_code_,
                    .action_block = action_};
  auto action = codegen_prompt(*lib_, in);
  expect_clean(action);
  for (const std::string& part :
       {definition_, base_code_, action_, std::string("Known-good base implementation"),
        std::string("## Candidate format"), std::string("wgmma"), std::string("Implement exactly the chosen action")}) {
    EXPECT_TRUE(has(*action, part)) << part;
  }
  for (const char* absent : {"no base code", "## World model", "Performance targets"}) {
    EXPECT_FALSE(has(*action, absent)) << absent;
  }

  in.mode = codegen_mode::spec_action;
  EXPECT_EQ(codegen_prompt(*lib_, in).error().subject, "codegen_prompt: base_code");
  in.base_code.clear();
  in.world_model_section = view_;
  in.baseline_targets = "workload 1a2b: 0.0100 ms";
  auto spec = codegen_prompt(*lib_, in);
  expect_clean(spec);
  EXPECT_TRUE(has(*spec, "(no base code; start from the specification)"));
  EXPECT_FALSE(has(*spec, "Known-good"));
  EXPECT_TRUE(has(*spec, "## World model\n"));
  EXPECT_TRUE(has(*spec, view_));
  EXPECT_TRUE(
      has(*spec, "## Performance targets (lower is better)\nworkload 1a2b: 0.0100 ms\nOptimize the overall mean"));

  in.mode = codegen_mode::action;
  EXPECT_EQ(codegen_prompt(*lib_, in).error().subject, "codegen_prompt: base_code");
  in.base_code = base_code_;
  in.action_block.clear();
  EXPECT_EQ(codegen_prompt(*lib_, in).error().subject, "codegen_prompt: action_block");
}

TEST_F(Prompts, CodegenDebugAndImprove) {
  std::string logs = "compile log:\n";
  for (int i = 0; i < 2000; ++i) {
    logs += "kernel.cu(" + std::to_string(i) + "): warning: variable declared but never used\n";
  }
  logs += "kernel.cu(2001): error: identifier \"acc\" is undefined\n";
  codegen_inputs in{.mode = codegen_mode::debug,
                    .target_gpu = "H100",
                    .definition_text = definition_,
                    .current_code = current_code_,
                    .failure_logs = logs,
                    .action_block = action_,
                    .round = 2,
                    .max_rounds = 5};
  auto debug = codegen_prompt(*lib_, in);
  expect_clean(debug);
  for (const std::string& part : {current_code_, action_, std::string("Debug-and-improve round: 2 of 5"),
                                  std::string("## Performance summary\n(none)"), std::string("compile log:\n"),
                                  std::string("error: identifier \"acc\" is undefined"), std::string("lines omitted"),
                                  std::string("(no base code; start from the specification)")}) {
    EXPECT_TRUE(has(*debug, part)) << part;
  }

  in.mode = codegen_mode::improve;
  EXPECT_EQ(codegen_prompt(*lib_, in).error().subject, "codegen_prompt: base_code");
  in.base_code = base_code_;
  in.failure_logs.clear();
  in.perf_summary = "last_attempt mean_latency_ms: 0.0110\nbase mean_latency_ms: 0.0100";
  in.round = 3;
  auto improve = codegen_prompt(*lib_, in);
  expect_clean(improve);
  for (const std::string& part :
       {base_code_, current_code_, action_, in.perf_summary, std::string("Improve round: 3 of 5"),
        std::string("Cycle-best base implementation"), std::string("(no logs)")}) {
    EXPECT_TRUE(has(*improve, part)) << part;
  }

  in.round = 6;
  EXPECT_EQ(codegen_prompt(*lib_, in).error().subject, "codegen_prompt: round");
  in.max_rounds = 0;
  auto uncapped = codegen_prompt(*lib_, in);
  ASSERT_TRUE(uncapped.has_value()) << uncapped.error().to_string();
  EXPECT_TRUE(has(*uncapped, "Improve round: 6\n"));
  in.current_code.clear();
  EXPECT_EQ(codegen_prompt(*lib_, in).error().subject, "codegen_prompt: current_code");
}

TEST_F(Prompts, CodegenUsesTheCallersCodeFormat) {
  codegen_inputs in{.mode = codegen_mode::action,
                    .target_gpu = "H100",
                    .definition_text = definition_,
                    .base_code = base_code_,
                    .action_block = action_,
                    .code_format = "## Format\nOnly kernel.cu."};
  auto prompt = codegen_prompt(*lib_, in);
  expect_clean(prompt);
  EXPECT_TRUE(has(*prompt, "## Format\nOnly kernel.cu."));
  EXPECT_FALSE(has(*prompt, "## Candidate format"));
}

TEST_F(Prompts, PlainLoop) {
  auto generate = plain_generate_prompt(*lib_, {.target_gpu = "H100", .definition_text = definition_});
  expect_clean(generate);
  EXPECT_TRUE(has(*generate, definition_));
  EXPECT_TRUE(has(*generate, "## Candidate format"));
  EXPECT_TRUE(has(*generate, "step by step"));

  plain_optimize_inputs in{.target_gpu = "H100",
                           .definition_text = definition_,
                           .current_code = current_code_,
                           .trace_logs = "workload 1a2b: INCORRECT_NUMERICAL max_abs_err 3.5"};
  auto first = plain_optimize_prompt(*lib_, in);
  expect_clean(first);
  EXPECT_TRUE(has(*first, current_code_));
  EXPECT_TRUE(has(*first, in.trace_logs));
  EXPECT_FALSE(has(*first, "## Current best solution"));
  EXPECT_FALSE(has(*first, "## Last round"));

  in.best_code = base_code_;
  in.best_summary = "Performance: score 1.2500";
  in.last_round_summary = "Passed 0/4 workloads";
  auto later = plain_optimize_prompt(*lib_, in);
  expect_clean(later);
  EXPECT_TRUE(has(*later, "## Current best solution\nPerformance: score 1.2500\n\n" + base_code_));
  EXPECT_TRUE(has(*later, "## Last round\nPassed 0/4 workloads"));
  in.current_code.clear();
  EXPECT_EQ(plain_optimize_prompt(*lib_, in).error().subject, "plain_optimize_prompt: current_code");
}

TEST(PromptCompaction, KeepsSectionHeadsWithOmissionMarkers) {
  std::string text = "Name: big\nType: moe\nDescription: long\n\nAxes:\n";
  for (int i = 0; i < 20; ++i) text += "  axis" + std::to_string(i) + ": constant = " + std::to_string(i) + "\n";
  text += "\nInputs:\n";
  for (int i = 0; i < 18; ++i) text += "  in" + std::to_string(i) + ": [axis0] float32\n";
  text += "\nOutputs:\n  out: [axis0] float32\n\nConstraints:\n";
  for (int i = 0; i < 15; ++i) text += "  - c" + std::to_string(i) + "\n";
  text += "\nReference Implementation:\nimport torch\n\n";
  for (int i = 0; i < 45; ++i) text += "    y" + std::to_string(i) + " = 0\n";
  const std::string notes = "\n## Notes for this definition\n\nUse the tensor cores.\n\n## How this candidate is judged\n\n- atol 0.01\n";
  text += notes;

  // The description and the notes survive; the reference code is what gets cut.
  const std::string out = prompt_compaction{}.compact(text);
  std::string expected = "Name: big\nType: moe\nDescription: long\n\nAxes:\n";
  for (int i = 0; i < 18; ++i) expected += "  axis" + std::to_string(i) + ": constant = " + std::to_string(i) + "\n";
  expected += "... (2 lines omitted) ...\n\nInputs:\n";
  for (int i = 0; i < 18; ++i) expected += "  in" + std::to_string(i) + ": [axis0] float32\n";
  expected += "\nOutputs:\n  out: [axis0] float32\n\nConstraints:\n";
  for (int i = 0; i < 12; ++i) expected += "  - c" + std::to_string(i) + "\n";
  expected += "... (3 lines omitted) ...\n\nReference Implementation:\nimport torch\n\n";
  for (int i = 0; i < 38; ++i) expected += "    y" + std::to_string(i) + " = 0\n";
  expected += "... (7 lines omitted) ...\n" + notes;
  EXPECT_EQ(out, expected);

  const prompt_compaction small{.head_lines = 1, .reference_lines = 2};
  EXPECT_EQ(small.compact("a\nb\nc\nd\n"), "a\nb\nc\n... (1 lines omitted) ...\n")
      << "without headers: head_lines + reference_lines lines";
}

TEST(PromptCompaction, ShortDefinitionsAreUnchanged) {
  const std::string text =
      "Name: n\nType: t\n\nAxes:\n  a: variable\n\nReference Implementation:\ndef run(a):\n    return a\n";
  EXPECT_EQ(prompt_compaction{}.compact(text), text);
}

}  // namespace
}  // namespace ksearch::search
