// ksearch/eval/compile/source_policy.h — what candidate source may include, and where NVRTC looks.
//
// NVRTC reads include files from the host file system, so a candidate writing
// `#include "/etc/passwd"` would put a host file into its compile log and from there into the
// LLM's prompt. Candidate code may include only CUDA Toolkit headers, written `#include <name>`;
// this module checks every preprocessing directive before NVRTC sees the source and names the
// toolkit folders NVRTC is given as its only include paths.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::eval {

/// The CUDA Toolkit's header folders: <toolkit>/include and, where present, <toolkit>/include/cccl
/// (libcu++ `cuda/std/...`, CUB). The toolkit is $CUDA_HOME, else $CUDA_PATH, else the one ksearch
/// was built with, else /usr/local/cuda. Computed once.
[[nodiscard]] const std::vector<std::filesystem::path>& toolkit_include_dirs();

/// Checks every `#include` / `#include_next` / `#embed` / `__has_include` in `source` (after line
/// splicing and comment removal, digraph `%:` included): the target must be `<relative/name>`
/// without `..`, and must exist under one of `include_dirs`. Anything else (quoted or absolute
/// paths, macros as include targets, `#import`) is refused with `file_name:line` as the subject.
[[nodiscard]] result<void> check_source_includes(std::string_view source, std::string_view file_name,
                                                 const std::vector<std::filesystem::path>& include_dirs);

}  // namespace ksearch::eval
