// ksearch/eval/compile/kernel_resources.h — what each compiled kernel costs in registers, shared memory
// and spills, read from ptxas's verbose report in the NVRTC log.
//
// NVRTC compiles with --ptxas-options=-v, so this works without a GPU: a candidate that spills or
// uses 255 registers can be told so before it ever runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/json_fwd.h"

namespace ksearch::eval {

struct kernel_resources {
  std::string name;             // entry function, as ptxas names it (extern "C" names are plain)
  int registers = 0;            // per thread
  int barriers = 0;
  long static_smem_bytes = 0;   // __shared__ arrays (dynamic shared memory is not included)
  long stack_frame_bytes = 0;
  long spill_store_bytes = 0;
  long spill_load_bytes = 0;

  /// "k: 72 registers, 1024 B smem, 0 B stack, no spills"
  [[nodiscard]] std::string summary() const;
};

/// Parses every "Compiling entry function" block of a ptxas -v report. Unknown lines are ignored;
/// a log without a report gives an empty list.
[[nodiscard]] std::vector<kernel_resources> parse_ptxas_report(std::string_view log);

/// The kernels as a JSON list of {name, registers, barriers, static_smem_bytes, ...} and back
/// (missing fields read as 0), for records and the bounded compiler's result.
[[nodiscard]] json to_json(const std::vector<kernel_resources>& kernels);
[[nodiscard]] std::vector<kernel_resources> kernel_resources_from_json(const json& list);

/// The log with ptxas's informational lines removed (they are reported through
/// parse_ptxas_report), so that only warnings and errors remain for the prompt.
[[nodiscard]] std::string strip_ptxas_info(std::string_view log);

}  // namespace ksearch::eval
