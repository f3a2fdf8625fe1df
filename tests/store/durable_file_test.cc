#include "ksearch/store/durable_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace ksearch::store {
namespace {

TEST(DurableFile, AtomicWriteReplacesTheWholeFileAndLeavesNoTemp) {
  test_support::temp_dir dir;
  const auto file = dir.path() / "deep" / "snapshot.json";
  ASSERT_TRUE(write_file_atomic(file, "first").has_value());
  ASSERT_TRUE(write_file_atomic(file, "second, longer").has_value());
  EXPECT_EQ(read_file(file).value(), "second, longer");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(file.parent_path())) ++entries;
  EXPECT_EQ(entries, 1) << "no temp file is left behind";
}

TEST(DurableFile, AtomicWriteIntoAFileInPlaceOfAFolderFailsNamingIt) {
  test_support::temp_dir dir;
  dir.write("blocker", "a file, not a folder");
  auto written = write_file_atomic(dir.path() / "blocker" / "x.json", "{}");
  ASSERT_FALSE(written.has_value());
  EXPECT_NE(written.error().subject.find("blocker"), std::string::npos) << written.error().to_string();
}

TEST(DurableFile, AppenderEndsATornLineSoTheNextRecordStandsAlone) {
  test_support::temp_dir dir;
  const auto file = dir.write("log.jsonl", "{\"round\":1}\n{\"round\":2,\"cut");  // killed mid-write
  {
    auto log = line_appender::open(file);
    ASSERT_TRUE(log.has_value()) << log.error().to_string();
    ASSERT_TRUE((*log)->append(R"({"round":3})").has_value());
  }
  auto contents = read_jsonl(file);
  ASSERT_TRUE(contents.has_value());
  ASSERT_EQ(contents->records.size(), 2u);
  EXPECT_EQ(contents->records[0].value["round"], 1);
  EXPECT_EQ(contents->records[1].value["round"], 3);
  EXPECT_EQ(contents->records[1].line, 3u);
  ASSERT_EQ(contents->skipped.size(), 1u);
  EXPECT_NE(contents->skipped[0].find("log.jsonl:2"), std::string::npos) << contents->skipped[0];
}

TEST(DurableFile, AMissingLogIsEmptyAndBlankLinesAreIgnored) {
  test_support::temp_dir dir;
  auto missing = read_jsonl(dir.path() / "none.jsonl");
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(missing->records.empty());
  const auto file = dir.write("blank.jsonl", "\n{\"a\":1}\n   \n");
  EXPECT_EQ(read_jsonl(file)->records.size(), 1u);
  EXPECT_TRUE(read_jsonl(file)->skipped.empty());
}

}  // namespace
}  // namespace ksearch::store
