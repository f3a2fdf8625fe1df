#include "ksearch/bench/bench_dataset.h"

#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::bench {

namespace fs = std::filesystem;

result<bench_solution> load_bench_solution(const fs::path& file) {
  auto s = tasks::load_solution(file);
  if (!s) return std::unexpected(s.error());
  const std::string* source = s->source("kernel.cu");
  const std::string* plan = s->source("launch.json");
  if (source == nullptr || plan == nullptr) {
    return fail(file.string() + ": sources", "a ksearch CUDA solution needs kernel.cu and launch.json",
                "see docs/candidate-contract.md");
  }
  return bench_solution{file, eval::solution_code{s->name, *source, *plan}};
}

result<bench_dataset> load_bench_dataset(const fs::path& root) {
  auto listing = tasks::scan_dataset(root);
  if (!listing) return std::unexpected(listing.error());
  if (!listing->problems.empty()) {
    error first = listing->problems.front();
    if (listing->problems.size() > 1) {
      first.problem += " (and " + std::to_string(listing->problems.size() - 1) + " more problems in the dataset)";
    }
    return std::unexpected(std::move(first));
  }
  if (listing->definitions.empty()) return fail(root.string(), "the dataset has no definitions");

  bench_dataset dataset{listing->root, {}};
  for (const tasks::definition_summary& summary : listing->definitions) {
    auto entry = tasks::load_dataset_definition(root, summary.name);
    if (!entry) return std::unexpected(entry.error());
    if (entry->workloads.empty()) {
      return fail("definition " + summary.name, "has no workloads under " + (root / "workloads").string());
    }
    const tasks::dataset_solutions found = tasks::load_dataset_solutions(root, summary.name);
    if (!found.problems.empty()) return std::unexpected(found.problems.front());

    std::vector<bench_solution> references;
    std::vector<bench_solution> candidates;
    for (const tasks::dataset_solution& s : found.solutions) {
      auto loaded = load_bench_solution(s.file);
      if (!loaded) return std::unexpected(loaded.error());
      (loaded->code.name.ends_with(reference_suffix) ? references : candidates).push_back(std::move(*loaded));
    }
    const std::string subject = "definition " + summary.name;
    if (references.size() != 1) {
      return fail(subject, "has " + std::to_string(references.size()) + " solutions named *" +
                               std::string(reference_suffix) + ", needs exactly one (the reference)");
    }
    if (candidates.empty())
      return fail(subject, "has no candidate solution (one not named *" + std::string(reference_suffix) + ")");
    dataset.definitions.push_back(
        {std::move(entry->def), std::move(entry->workloads), std::move(references.front()), std::move(candidates)});
  }
  return dataset;
}

}  // namespace ksearch::bench
