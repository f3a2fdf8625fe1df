#include "ksearch/worldmodel/world_model_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "ksearch/common/json.h"

namespace ksearch::worldmodel {
namespace {

/// True when some repair line contains every one of `parts`.
bool reported(const repair_report& report, std::initializer_list<std::string_view> parts) {
  return std::any_of(report.repairs.begin(), report.repairs.end(), [&](const std::string& line) {
    return std::all_of(parts.begin(), parts.end(), [&](std::string_view p) { return line.find(p) != std::string::npos; });
  });
}

std::string all_repairs(const repair_report& report) {
  std::string text;
  for (const std::string& line : report.repairs) text += line + "\n";
  return text;
}

world_model load(const json& doc, repair_report& report) {
  result<world_model> wm = world_model_from_json(doc, report);
  EXPECT_TRUE(wm.has_value()) << wm.error().to_string();
  return wm.value_or(empty_world_model());
}

// A snapshot as K-Search writes it (sort_keys, nulls, node_type), with a legacy difficulty and
// extra top-level keys.
const char* const python_snapshot = R"({
  "computed_signals": {
    "round_index": 7,
    "trace": {"latency_ms": 0.0421, "reference_latency_ms": 0.31, "speedup_factor": 7.36, "status": "passed"}
  },
  "decision_tree": {
    "active_leaf_id": "node_gemm_r3_1",
    "nodes": [
      {
        "action": {"description": "", "difficulty_1_to_5": 3, "expected_vs_baseline_factor": null,
                   "rationale": "", "score_0_to_1": 0.0, "title": ""},
        "choice": null, "confidence_0_to_1": 0.5, "decision": null,
        "impacts": {
          "compute_intensity_and_hw_fit": {"hw_notes": "H100 wgmma", "notes": "", "rating_0_to_10": 5.0, "risk": ""},
          "memory_bandwidth": {"notes": "", "rating_0_to_10": 4.0, "risk": ""},
          "register_pressure": {"notes": "", "rating_0_to_10": 3.0, "risk": ""}
        },
        "last_updated_round": 0, "node_id": "root", "node_type": "root",
        "notes": "GEMM-like, fixed K=4096.", "overall_rating_0_to_10": 5.0, "parent_id": null,
        "solution_ref": {"eval": {"status": "passed", "metrics": {"score": 0.8, "score_name": "mean_vs_baseline"}},
                         "parent_solution_id": null, "solution_id": "5eed"}
      },
      {
        "action": {"description": "Tile 128x128 with a 4-stage cp.async pipeline.", "difficulty_0_to_3": 1,
                   "expected_vs_baseline_factor": 1.4, "rationale": "Reuse in smem.", "score_0_to_1": 0.72,
                   "title": "Tiled smem GEMM"},
        "choice": "CTA-tiled GEMM", "confidence_0_to_1": 0.6, "decision": "Kernel family",
        "impacts": {
          "compute_intensity_and_hw_fit": {"hw_notes": "", "notes": "mma.sync", "rating_0_to_10": 7.0, "risk": "bank conflicts"},
          "memory_bandwidth": {"notes": "reuse", "rating_0_to_10": 8.0, "risk": "low"},
          "register_pressure": {"notes": "", "rating_0_to_10": 5.0, "risk": "spills at 256 threads"}
        },
        "last_updated_round": 3, "node_id": "node_gemm_r3_1", "node_type": "decision",
        "notes": "CURRENT: naive loop. UPDATE_BELIEF: memory bound.", "overall_rating_0_to_10": 7.5,
        "parent_id": "root",
        "solution_ref": {"eval": {"status": "passed", "metrics": {"score": 1.31}}, "parent_solution_id": "5eed",
                         "solution_id": "abc123"}
      },
      {
        "action": {"description": "", "difficulty_1_to_5": 4, "expected_vs_baseline_factor": null,
                   "rationale": "", "score_0_to_1": 0.35, "title": "Split-K"},
        "choice": "Split-K with atomics", "confidence_0_to_1": 0.3, "decision": "Parallelism over K",
        "impacts": {
          "compute_intensity_and_hw_fit": {"hw_notes": "", "notes": "", "rating_0_to_10": 0.0, "risk": ""},
          "memory_bandwidth": {"notes": "", "rating_0_to_10": 0.0, "risk": ""},
          "register_pressure": {"notes": "", "rating_0_to_10": 0.0, "risk": ""}
        },
        "last_updated_round": 3, "node_id": "node_gemm_r3_2", "node_type": "decision", "notes": "",
        "overall_rating_0_to_10": 4.0, "parent_id": "node_gemm_r3_1",
        "solution_ref": {"eval": {"status": ""}, "parent_solution_id": "abc123", "solution_id": null}
      }
    ],
    "root_id": "root"
  },
  "kernel_summary": "A bf16 GEMM with fixed K.",
  "open_questions": ["Is M ever below 64?", "Does N vary?"],
  "plan_tree": {"legacy": true},
  "run_label": "nightly"
})";

TEST(WorldModelJson, PythonSnapshotLoadsWithOnlyTheLegacyDifficultyReported) {
  repair_report report;
  world_model wm = load(json::parse(python_snapshot), report);
  ASSERT_EQ(report.repairs.size(), 1u) << all_repairs(report);
  EXPECT_TRUE(reported(report, {"decision_tree.nodes[1].action.difficulty_0_to_3", "node_gemm_r3_1", "mapped", "= 2"}));

  EXPECT_EQ(wm.kernel_summary, "A bf16 GEMM with fixed K.");
  EXPECT_EQ(wm.open_questions, (std::vector<std::string>{"Is M ever below 64?", "Does N vary?"}));
  EXPECT_EQ(wm.active_leaf_id, "node_gemm_r3_1");
  EXPECT_EQ(wm.round_index, 7);
  EXPECT_EQ(wm.trace.status, "passed");
  EXPECT_DOUBLE_EQ(*wm.trace.speedup_factor, 7.36);
  EXPECT_FALSE(wm.trace.mean_vs_baseline_factor.has_value());
  ASSERT_EQ(wm.nodes.size(), 3u);

  const node& root = *wm.find("root");
  EXPECT_TRUE(root.is_root());
  EXPECT_FALSE(root.decision.has_value());
  EXPECT_EQ(*root.solution.solution_id, "5eed");
  EXPECT_EQ(root.impacts.at("compute_intensity_and_hw_fit").hw_notes, "H100 wgmma");

  const node& tiled = *wm.find("node_gemm_r3_1");
  EXPECT_EQ(tiled.action.difficulty_1_to_5, 2);  // legacy 1 + 1
  EXPECT_DOUBLE_EQ(tiled.action.score_0_to_1, 0.72);
  EXPECT_DOUBLE_EQ(*tiled.action.expected_vs_baseline_factor, 1.4);
  EXPECT_EQ(*tiled.solution.parent_solution_id, "5eed");
  EXPECT_EQ(tiled.impacts.at("register_pressure").risk, "spills at 256 threads");
  EXPECT_EQ(tiled.solution.eval["metrics"]["score"], 1.31);

  const node& split = *wm.find("node_gemm_r3_2");
  EXPECT_FALSE(split.is_solved());
  EXPECT_EQ(*split.parent_id, "node_gemm_r3_1");

  // Unknown top-level keys are kept, legacy ones included.
  EXPECT_EQ(wm.extra["run_label"], "nightly");
  EXPECT_EQ(wm.extra["plan_tree"]["legacy"], true);
  EXPECT_EQ(to_json(wm)["run_label"], "nightly");
}

TEST(WorldModelJson, OurSnapshotKeepsThePythonShape) {
  repair_report report;
  const json out = to_json(load(json::parse(python_snapshot), report));
  const json& tiled = out["decision_tree"]["nodes"][1];
  EXPECT_EQ(tiled["node_type"], "decision");
  EXPECT_EQ(out["decision_tree"]["nodes"][0]["node_type"], "root");
  EXPECT_TRUE(out["decision_tree"]["nodes"][0]["decision"].is_null());
  EXPECT_EQ(tiled["action"]["difficulty_1_to_5"], 2);
  EXPECT_FALSE(tiled["action"].contains("difficulty_0_to_3"));
  EXPECT_FALSE(tiled.contains("ksearch"));  // written only when the search recorded something
  EXPECT_TRUE(tiled["impacts"]["compute_intensity_and_hw_fit"].contains("hw_notes"));
  EXPECT_FALSE(tiled["impacts"]["memory_bandwidth"].contains("hw_notes"));
  EXPECT_TRUE(out["computed_signals"]["trace"]["mean_vs_baseline_factor"].is_null());
}

TEST(WorldModelJson, RoundTripKeepsEveryField) {
  world_model wm = empty_world_model();
  wm.kernel_summary = "summary";
  wm.open_questions = {"q1", "q2"};
  wm.round_index = 12;
  wm.trace = {.status = "PASSED", .latency_ms = 0.5, .reference_latency_ms = 2.0, .speedup_factor = 4.0,
              .mean_vs_baseline_factor = 1.25};
  wm.extra = {{"custom", {{"a", 1}}}};
  wm.nodes.front().notes = "root notes";
  wm.nodes.front().solution = {.solution_id = "seed", .solution_name = "seed_sol", .round_index = 0,
                               .eval = {{"status", "PASSED"}, {"score", 0.9}}};
  node n;
  n.node_id = "n1";
  n.parent_id = "root";
  n.decision = "d";
  n.choice = std::nullopt;  // a null choice on a non-root node stays null
  n.solution = {.solution_id = "s1", .parent_solution_id = "seed", .solution_name = "gemm_r4", .round_index = 4,
                .eval = {{"status", "PASSED"}, {"score", 1.5}, {"latency_ms", 0.2}}};
  n.impacts = default_impacts();
  n.impacts["memory_bandwidth"] = {.rating_0_to_10 = 7.5, .risk = "r", .notes = "n", .hw_notes = ""};
  n.impacts["compute_intensity_and_hw_fit"] = {.rating_0_to_10 = 2, .risk = "r2", .notes = "n2", .hw_notes = "tensor cores"};
  n.overall_rating_0_to_10 = 6.25;
  n.confidence_0_to_1 = 0.375;
  n.last_updated_round = 9;
  n.notes = "CURRENT: ...\nUPDATE_BELIEF: ...";
  n.action = {.title = "t", .description = "desc", .difficulty_1_to_5 = 5, .score_0_to_1 = 0.125,
              .expected_vs_baseline_factor = 1.75, .rationale = "why"};
  n.attempts = 3;
  n.outcome = node_outcome::too_hard;
  n.outcome_reason = "3 cycles without a pass";
  n.outcome_round = 11;
  wm.nodes.push_back(n);
  wm.active_leaf_id = "n1";

  const json first = to_json(wm);
  repair_report report;
  world_model again = load(json::parse(first.dump()), report);
  EXPECT_TRUE(report.repairs.empty()) << all_repairs(report);
  EXPECT_EQ(to_json(again), first);

  const node& m = *again.find("n1");
  EXPECT_EQ(m.decision, "d");
  EXPECT_FALSE(m.choice.has_value());
  EXPECT_EQ(m.solution.solution_name, "gemm_r4");
  EXPECT_EQ(m.solution.round_index, 4);
  EXPECT_EQ(m.solution.eval["latency_ms"], 0.2);
  EXPECT_EQ(m.impacts.at("compute_intensity_and_hw_fit").hw_notes, "tensor cores");
  EXPECT_DOUBLE_EQ(m.impacts.at("memory_bandwidth").rating_0_to_10, 7.5);
  EXPECT_DOUBLE_EQ(m.confidence_0_to_1, 0.375);
  EXPECT_EQ(m.last_updated_round, 9);
  EXPECT_EQ(m.action.difficulty_1_to_5, 5);
  EXPECT_DOUBLE_EQ(*m.action.expected_vs_baseline_factor, 1.75);
  EXPECT_EQ(m.action.rationale, "why");
  EXPECT_EQ(m.attempts, 3);
  EXPECT_EQ(m.outcome, node_outcome::too_hard);
  EXPECT_EQ(m.outcome_reason, "3 cycles without a pass");
  EXPECT_EQ(m.outcome_round, 11);
  EXPECT_EQ(again.trace.mean_vs_baseline_factor, 1.25);
  EXPECT_EQ(again.extra["custom"]["a"], 1);
  EXPECT_EQ(again.active_leaf_id, "n1");
}

json tree_of(json nodes, json extra = json::object()) {
  json doc = {{"kernel_summary", "k"}, {"decision_tree", {{"root_id", "root"}, {"nodes", std::move(nodes)}}}};
  for (const auto& [key, value] : extra.items()) doc["decision_tree"][key] = value;
  return doc;
}

TEST(WorldModelJson, DuplicateIdsAreRenamedAndReported) {
  repair_report report;
  world_model wm = load(tree_of(json::array({
                            {{"node_id", "root"}, {"parent_id", nullptr}},
                            {{"node_id", "a"}, {"parent_id", "root"}, {"notes", "first"}},
                            {{"node_id", "a"}, {"parent_id", "root"}, {"notes", "second"}},
                            {{"node_id", "a"}, {"parent_id", "root"}, {"notes", "third"}},
                            {{"node_id", "b"}, {"parent_id", "a"}},
                        })),
                        report);
  ASSERT_EQ(wm.nodes.size(), 5u);  // nothing lost
  EXPECT_EQ(wm.find("a")->notes, "first");
  EXPECT_EQ(wm.find("a__dup1")->notes, "second");
  EXPECT_EQ(wm.find("a__dup2")->notes, "third");
  EXPECT_EQ(*wm.find("b")->parent_id, "a");
  EXPECT_TRUE(reported(report, {"decision_tree.nodes[2]", "duplicate node_id", "a__dup1"})) << all_repairs(report);
  EXPECT_TRUE(reported(report, {"decision_tree.nodes[3]", "a__dup2"}));
}

TEST(WorldModelJson, ParentCycleIsBrokenUnderTheRoot) {
  repair_report report;
  world_model wm = load(tree_of(json::array({
                            {{"node_id", "root"}, {"parent_id", nullptr}},
                            {{"node_id", "x"}, {"parent_id", "z"}},
                            {{"node_id", "y"}, {"parent_id", "x"}},
                            {{"node_id", "z"}, {"parent_id", "y"}},
                            {{"node_id", "self"}, {"parent_id", "self"}},
                            {{"node_id", "tail"}, {"parent_id", "z"}},
                        })),
                        report);
  ASSERT_EQ(wm.nodes.size(), 6u);
  EXPECT_EQ(*wm.find("x")->parent_id, "root");  // the earliest node of the cycle
  EXPECT_EQ(*wm.find("y")->parent_id, "x");
  EXPECT_EQ(*wm.find("z")->parent_id, "y");
  EXPECT_EQ(*wm.find("self")->parent_id, "root");
  EXPECT_EQ(wm.path_to("tail").size(), 5u);  // root, x, y, z, tail
  EXPECT_TRUE(reported(report, {"decision_tree.nodes[1] ('x')", "cycle", "re-attached under root"})) << all_repairs(report);
  EXPECT_TRUE(reported(report, {"('self')", "cycle (self -> self)"}));
  EXPECT_EQ(report.repairs.size(), 2u) << all_repairs(report);
}

TEST(WorldModelJson, LargeTreesWithManyCyclesAreRepaired) {
  json nodes = json::array({{{"node_id", "root"}, {"parent_id", nullptr}}});
  constexpr int chain = 3000, pairs = 1000;
  for (int i = 0; i < chain; ++i) {  // c0 <- c1 <- ... <- c2999, and c0's parent is c2999: one long cycle
    nodes.push_back({{"node_id", "c" + std::to_string(i)}, {"parent_id", "c" + std::to_string((i + chain - 1) % chain)}});
  }
  for (int i = 0; i < pairs; ++i) {  // many two-node cycles
    nodes.push_back({{"node_id", "x" + std::to_string(i)}, {"parent_id", "y" + std::to_string(i)}});
    nodes.push_back({{"node_id", "y" + std::to_string(i)}, {"parent_id", "x" + std::to_string(i)}});
  }
  repair_report report;
  world_model wm = load(tree_of(nodes), report);
  EXPECT_EQ(report.repairs.size(), 1u + pairs);
  EXPECT_EQ(*wm.find("c0")->parent_id, "root");
  EXPECT_EQ(wm.depth("c2999"), chain);
  EXPECT_EQ(*wm.find("x7")->parent_id, "root");
  EXPECT_EQ(*wm.find("y7")->parent_id, "x7");
}

TEST(WorldModelJson, DanglingAndMissingParentsGoUnderTheRoot) {
  repair_report report;
  world_model wm = load(tree_of(json::array({
                            {{"node_id", "root"}, {"parent_id", nullptr}},
                            {{"node_id", "orphan"}, {"parent_id", "gone"}},
                            {{"node_id", "loose"}, {"parent_id", nullptr}},
                            {{"node_id", "unset"}},
                        })),
                        report);
  EXPECT_EQ(*wm.find("orphan")->parent_id, "root");
  EXPECT_EQ(*wm.find("loose")->parent_id, "root");
  EXPECT_EQ(*wm.find("unset")->parent_id, "root");
  EXPECT_TRUE(reported(report, {"('orphan')", "parent 'gone' does not exist", "re-attached under root"}));
  EXPECT_TRUE(reported(report, {"('loose')", "no parent_id"}));
  EXPECT_TRUE(reported(report, {"('unset')", "no parent_id"}));
}

TEST(WorldModelJson, MissingRootIsCreated) {
  repair_report report;
  world_model wm = load(tree_of(json::array({{{"node_id", "a"}, {"parent_id", nullptr}, {"choice", "fam A"}}}),
                                {{"active_leaf_id", "a"}}),
                        report);
  ASSERT_EQ(wm.nodes.size(), 2u);
  ASSERT_NE(wm.root(), nullptr);
  EXPECT_TRUE(wm.root()->is_root());
  EXPECT_EQ(*wm.find("a")->parent_id, "root");
  EXPECT_EQ(wm.find("a")->choice, "fam A");
  EXPECT_EQ(wm.active_leaf_id, "a");
  EXPECT_TRUE(reported(report, {"no node has the root_id 'root'", "created"})) << all_repairs(report);

  repair_report bare_report;
  world_model bare = load(json{{"kernel_summary", "only a summary"}}, bare_report);
  ASSERT_EQ(bare.nodes.size(), 1u);
  EXPECT_EQ(bare.active_leaf_id, "root");
  EXPECT_TRUE(reported(bare_report, {"created"}));
}

TEST(WorldModelJson, OutOfRangeAndMistypedValuesAreRepairedAndReported) {
  repair_report report;
  world_model wm = load(tree_of(json::array({
                            {{"node_id", "root"}, {"parent_id", nullptr}, {"decision", "not allowed"}},
                            {{"node_id", "n"},
                             {"parent_id", "root"},
                             {"overall_rating_0_to_10", 14},
                             {"confidence_0_to_1", -0.5},
                             {"last_updated_round", "3"},
                             {"notes", {{"CURRENT", "naive"}}},
                             {"impacts", {{"memory_bandwidth", {{"rating_0_to_10", 11}}}, {"latency", {{"rating_0_to_10", 2}}}}},
                             {"action", {{"title", "t"}, {"difficulty_1_to_5", 9}, {"score_0_to_1", 1.5},
                                         {"expected_vs_baseline_factor", -2}, {"color", "red"}}},
                             {"mood", "happy"}},
                        }),
                                {{"active_leaf_id", "nowhere"}}),
                        report);
  const node& n = *wm.find("n");
  EXPECT_DOUBLE_EQ(n.overall_rating_0_to_10, 10);
  EXPECT_DOUBLE_EQ(n.confidence_0_to_1, 0);
  EXPECT_EQ(n.last_updated_round, 3);
  EXPECT_EQ(json::parse(n.notes), (json{{"CURRENT", "naive"}}));  // kept as JSON text, not lost
  EXPECT_DOUBLE_EQ(n.impacts.at("memory_bandwidth").rating_0_to_10, 10);
  EXPECT_EQ(n.impacts.size(), 3u);
  EXPECT_EQ(n.action.difficulty_1_to_5, 5);
  EXPECT_DOUBLE_EQ(n.action.score_0_to_1, 1);
  EXPECT_FALSE(n.action.expected_vs_baseline_factor.has_value());
  EXPECT_FALSE(wm.root()->decision.has_value());
  EXPECT_EQ(wm.active_leaf_id, "root");

  EXPECT_TRUE(reported(report, {"overall_rating_0_to_10 (node 'n')", "14 clamped to 10"})) << all_repairs(report);
  EXPECT_TRUE(reported(report, {"confidence_0_to_1", "-0.5 clamped to 0"}));
  EXPECT_TRUE(reported(report, {"last_updated_round", "read as the number 3"}));
  EXPECT_TRUE(reported(report, {"notes", "kept as its JSON text"}));
  EXPECT_TRUE(reported(report, {"impacts.memory_bandwidth.rating_0_to_10", "11 clamped to 10"}));
  EXPECT_TRUE(reported(report, {"impacts", "unknown impact dimensions", "latency"}));
  EXPECT_TRUE(reported(report, {"action.difficulty_1_to_5", "9 clamped to 5"}));
  EXPECT_TRUE(reported(report, {"action.score_0_to_1", "1.5 clamped to 1"}));
  EXPECT_TRUE(reported(report, {"expected_vs_baseline_factor", "negative"}));
  EXPECT_TRUE(reported(report, {"unknown action fields dropped: color"}));
  EXPECT_TRUE(reported(report, {"unknown node fields dropped: mood"}));
  EXPECT_TRUE(reported(report, {"decision", "root is a dummy", "not allowed"}));
  EXPECT_TRUE(reported(report, {"active_leaf_id", "'nowhere' does not exist"}));
}

TEST(WorldModelJson, ScoreDefaultsFollowTheOriginal) {
  repair_report report;
  world_model wm = load(tree_of(json::array({
                            {{"node_id", "root"}, {"parent_id", nullptr}},
                            {{"node_id", "with_action"}, {"parent_id", "root"}, {"overall_rating_0_to_10", 7},
                             {"action", {{"title", "t"}}}},
                            {{"node_id", "without_action"}, {"parent_id", "root"}, {"overall_rating_0_to_10", 7}},
                            {{"node_id", "no_id_here"}, {"parent_id", "root"}, {"action", {{"score_0_to_1", nullptr}}}},
                            {{"parent_id", "root"}},
                        })),
                        report);
  EXPECT_DOUBLE_EQ(wm.find("with_action")->action.score_0_to_1, 0.7);  // rating / 10
  EXPECT_EQ(wm.find("with_action")->action.difficulty_1_to_5, 3);
  EXPECT_DOUBLE_EQ(wm.find("without_action")->action.score_0_to_1, 0);
  ASSERT_NE(wm.find("n4"), nullptr);
  EXPECT_TRUE(reported(report, {"decision_tree.nodes[4]", "no node_id", "'n4'"}));
}

TEST(WorldModelJson, NonObjectDocumentIsAnError) {
  repair_report report;
  result<world_model> wm = world_model_from_json(json::array({1, 2}), report);
  ASSERT_FALSE(wm.has_value());
  EXPECT_EQ(wm.error().subject, "world model");
  EXPECT_NE(wm.error().problem.find("array"), std::string::npos);
}

TEST(WorldModelJson, BrokenContainersAreReportedNotFatal) {
  repair_report report;
  world_model wm = load(json{{"open_questions", "just one"},
                             {"decision_tree", {{"nodes", json::array({"junk", {{"node_id", "root"}}})}}},
                             {"computed_signals", {{"round_index", "x"}, {"trace", {{"mystery", 1}}}}}},
                        report);
  EXPECT_EQ(wm.open_questions, std::vector<std::string>{"just one"});
  EXPECT_EQ(wm.nodes.size(), 1u);
  EXPECT_EQ(wm.round_index, 0);
  EXPECT_TRUE(reported(report, {"open_questions", "list of one"}));
  EXPECT_TRUE(reported(report, {"decision_tree.nodes[0]", "string is not a node; dropped"}));
  EXPECT_TRUE(reported(report, {"computed_signals.round_index", "not a number"}));
  EXPECT_TRUE(reported(report, {"computed_signals.trace", "unknown trace fields dropped: mystery"}));
}

TEST(ParseInitReply, FindsTheModelInProseAndFences) {
  const std::string reply =
      "Here is my analysis of the kernel {as requested}.\n\n```json\n"
      R"({"kernel_summary": "Row-wise softmax, memory bound.",
         "open_questions": ["Is D always 4096?"],
         "decision_tree": {"root_id": "root", "active_leaf_id": "root", "nodes": [
           {"node_id": "root", "parent_id": null, "notes": "7-part analysis"},
           {"node_id": "f1", "parent_id": "root", "decision": "Family", "choice": "One CTA per row",
            "action": {"title": "Warp-per-row softmax", "difficulty_1_to_5": 2, "score_0_to_1": 0.7},
            "solution_ref": {"solution_id": "made-up", "eval": {"status": "passed"}}},
         ]},
         "computed_signals": {"round_index": 4}
        })"
      "\n```\nLet me know if you need more.";
  repair_report report;
  result<world_model> wm = parse_init_reply(reply, report);
  ASSERT_TRUE(wm.has_value()) << wm.error().to_string();
  EXPECT_EQ(wm->kernel_summary, "Row-wise softmax, memory bound.");
  ASSERT_NE(wm->find("f1"), nullptr);
  EXPECT_EQ(wm->find("f1")->action.title, "Warp-per-row softmax");
  EXPECT_FALSE(wm->find("f1")->is_solved());  // the model cannot attach solutions
  EXPECT_TRUE(wm->find("f1")->solution.eval.empty());
  EXPECT_EQ(wm->round_index, 0);
  EXPECT_TRUE(reported(report, {"'f1'", "solution_ref", "written by the model"})) << all_repairs(report);
  EXPECT_TRUE(reported(report, {"computed_signals", "reset"}));
}

TEST(ParseInitReply, ErrorsSayWhatIsMissing) {
  repair_report report;
  result<world_model> none = parse_init_reply("I could not do it.", report);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().subject, "reply");

  result<world_model> other = parse_init_reply(R"(Sure: {"answer": 42})", report);
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().problem.find("not a world model"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::worldmodel
