// The report in a real browser: headless Chromium loads the fixture's page and dumps the DOM it
// built, which must hold the score plot and the world-model tree. Skipped (with the reason) where
// Chromium is not installed (Debian package: chromium).
#include <gtest/gtest.h>

#include <fstream>

#include "ksearch/report/html_report.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace ksearch::report {
namespace {

namespace fs = std::filesystem;
constexpr const char* chromium = "/usr/bin/chromium";

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ReportBrowser, ChromiumBuildsThePlotAndTheTree) {
  std::error_code ec;
  if (!fs::exists(chromium, ec)) GTEST_SKIP() << chromium << " not found; install the Debian package `chromium` to run this test";
  auto run = load_run(fs::path(KSEARCH_TEST_DATA_DIR) / "run-fixture");
  ASSERT_TRUE(run) << run.error().to_string();
  test_support::temp_dir dir;
  const fs::path page = dir.write("report.html", render_html_report(*run));
  fs::create_directories(dir.path() / "profile");

  const test_support::process_output out = test_support::run_process(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + (dir.path() / "profile").string(), "--dump-dom", "file://" + page.string()},
      {}, std::chrono::seconds(120));
  ASSERT_FALSE(out.timed_out) << out.err;
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const std::string& dom = out.out;
  ASSERT_NE(dom.find("<body>"), std::string::npos) << "no DOM came back:\n" << out.err;

  // The plot: its <svg>, a marker per round and the best-so-far line.
  const std::size_t plot = dom.find("id=\"score-chart\"");
  ASSERT_NE(plot, std::string::npos);
  const std::string plot_dom = dom.substr(plot, dom.find("</svg>", plot) - plot);
  EXPECT_EQ(occurrences(plot_dom, "<circle class=\"point\""), run->rounds.size()) << plot_dom.substr(0, 2000);
  EXPECT_NE(plot_dom.find("class=\"series-line\""), std::string::npos);

  // The tree: every node, the chosen path.
  const std::size_t tree = dom.find("id=\"wm-tree\"");
  ASSERT_NE(tree, std::string::npos);
  const std::string tree_dom = dom.substr(tree, dom.find("</svg>", tree) - tree);
  EXPECT_EQ(occurrences(tree_dom, "data-node-id="), run->world_model->nodes.size());
  EXPECT_EQ(occurrences(tree_dom, "class=\"edge on-path\""), 3u);
  EXPECT_NE(tree_dom.find("active-leaf"), std::string::npos);

  // The code section survived parsing as text: the '<' of the kernel is still escaped.
  EXPECT_NE(dom.find("i &lt; n4"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::report
