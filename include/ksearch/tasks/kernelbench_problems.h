// ksearch/tasks/kernelbench_problems.h — finds KernelBench problems in a user's checkout.
//
// A KernelBench checkout holds level folders (level1 .. level4), either at its root or under
// KernelBench/ (the upstream repository's layout), each with one Python file per problem named
// <id>_<Name>.py (docs/task-formats.md, "KernelBench: problem files"). This module lists and
// locates them; it reads no Python.
// Errors name what is missing — the root, the level folder, the problem id (with the ids the level
// does have) — and the flag that chose it.
//
// Thread-safety: pure functions over the file system.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::tasks {

struct kernelbench_problem {
  int level = 0;
  int id = 0;
  std::string name;             // the file name without "<id>_" and ".py": "Square_matrix_multiplication_"
  std::filesystem::path file;
};

/// The definition name the import gives the problem: "kernelbench_l<level>_p<id>_<name>", every
/// character of the name other than [A-Za-z0-9_] turned into '_' (tasks/kernelbench/import_problem.py).
[[nodiscard]] std::string kernelbench_definition_name(const kernelbench_problem& problem);

/// The folder of `level` under `root` (root/levelN, else root/KernelBench/levelN). Errors: no root
/// (subject --kernelbench-root), no such level folder (subject --kernelbench-level).
[[nodiscard]] result<std::filesystem::path> kernelbench_level_dir(const std::filesystem::path& root, int level);

/// Every problem of `level`, by id. Two files with one id are an error naming both.
[[nodiscard]] result<std::vector<kernelbench_problem>> list_kernelbench_problems(const std::filesystem::path& root,
                                                                                 int level);

/// Problem `id` of `level`. Error (subject --kernelbench-problem-id): no such id, with the range there is.
[[nodiscard]] result<kernelbench_problem> find_kernelbench_problem(const std::filesystem::path& root, int level, int id);

}  // namespace ksearch::tasks
