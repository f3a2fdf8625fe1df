#include "ksearch/tasks/dataset_scan.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace ksearch::tasks {
namespace {

const std::filesystem::path mini_dataset = std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini";

TEST(DatasetScan, ListsDefinitionsWithAxesInputsInCallOrderAndWorkloadCounts) {
  auto listing = scan_dataset(mini_dataset);
  ASSERT_TRUE(listing.has_value()) << listing.error().to_string();
  ASSERT_EQ(listing->definitions.size(), 1u);
  const definition_summary& d = listing->definitions.front();
  EXPECT_EQ(d.name, "scale_add_d256");
  EXPECT_EQ(d.op_type, "elementwise");
  EXPECT_EQ(d.const_axes, std::vector<std::string>{"dim=256"});
  EXPECT_EQ(d.var_axes, std::vector<std::string>{"rows"});
  EXPECT_EQ(d.inputs, (std::vector<std::string>{"x", "y", "alpha"}));  // file order, not alphabetical
  EXPECT_EQ(d.outputs, std::vector<std::string>{"out"});
  EXPECT_EQ(d.workload_count, 2u);
  EXPECT_TRUE(listing->problems.empty());
}

TEST(DatasetScan, MissingRootOrDefinitionsFolderIsAnErrorNamingThePath) {
  test_support::temp_dir dir;
  auto missing = scan_dataset(dir.path() / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().subject.find("nope"), std::string::npos);

  auto empty = scan_dataset(dir.path());
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().problem.find("definitions/"), std::string::npos);
}

TEST(DatasetScan, BrokenFilesBecomeProblemsNamingFileAndFieldWithoutStoppingTheScan) {
  test_support::temp_dir dir;
  dir.write("definitions/a/good.json",
            R"({"name":"good","op_type":"t","axes":{"n":{"type":"var"}},"inputs":{"x":{"shape":["n"],"dtype":"float32"}},)"
            R"("outputs":{"y":{"shape":["n"],"dtype":"float32"}}})");
  dir.write("definitions/a/not_json.json", "{ this is not json");
  dir.write("definitions/a/no_name.json", R"({"op_type":"t","axes":{},"inputs":{},"outputs":{}})");
  dir.write("definitions/a/bad_axis.json",
            R"({"name":"bad","op_type":"t","axes":{"n":{"type":"const"}},"inputs":{},"outputs":{}})");
  dir.write("definitions/b/dup.json",
            R"({"name":"good","op_type":"t","axes":{},"inputs":{},"outputs":{"y":{"shape":[],"dtype":"int32"}}})");
  dir.write("workloads/a/good.jsonl", "{\"definition\":\"good\"}\n\nnot json\n{\"definition\":\"good\"}\n");

  auto listing = scan_dataset(dir.path());
  ASSERT_TRUE(listing.has_value());
  ASSERT_EQ(listing->definitions.size(), 1u);
  EXPECT_EQ(listing->definitions[0].workload_count, 2u);

  std::string all;
  for (const error& e : listing->problems) all += e.to_string() + "\n";
  EXPECT_EQ(listing->problems.size(), 5u) << all;
  EXPECT_NE(all.find("not_json.json: not valid JSON"), std::string::npos) << all;
  EXPECT_NE(all.find("no_name.json: name"), std::string::npos) << all;
  EXPECT_NE(all.find("bad_axis.json: axes.n"), std::string::npos) << all;
  EXPECT_NE(all.find("duplicate definition 'good'"), std::string::npos) << all;
  EXPECT_NE(all.find("good.jsonl:3"), std::string::npos) << all;
}

// `ksearch run --definition X` where X's own file is broken: the error is that file's, not "X is
// not in the dataset".
TEST(DatasetScan, ADefinitionWhoseFileIsBrokenIsAnErrorNamingTheFile) {
  test_support::temp_dir dir;
  dir.write("definitions/a/wanted.json", R"({"name":"wanted","op_type":"t",)");
  dir.write("definitions/a/other.json", "[1, 2");
  auto wanted = load_dataset_definition(dir.path(), "wanted");
  ASSERT_FALSE(wanted.has_value());
  EXPECT_EQ(wanted.error().subject, (dir.path() / "definitions/a/wanted.json").string());
  EXPECT_NE(wanted.error().problem.find("not valid JSON: "), std::string::npos) << wanted.error().to_string();
  EXPECT_NE(wanted.error().problem.find("parse error"), std::string::npos) << "the parser says where";

  auto absent = load_dataset_definition(dir.path(), "absent");
  ASSERT_FALSE(absent.has_value());
  EXPECT_EQ(absent.error().subject, "--definition absent");
  EXPECT_NE(absent.error().fix.find("2 file(s) could not be read"), std::string::npos) << absent.error().to_string();
  EXPECT_NE(absent.error().fix.find("other.json"), std::string::npos) << absent.error().to_string();
}

}  // namespace
}  // namespace ksearch::tasks
