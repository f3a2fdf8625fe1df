// ksearch/eval/plan/launch_plan.h — how a device-code-only candidate says what to launch.
//
// Candidates are compiled with NVRTC and have no host code, so the host side of the original
// run() (grid sizes, split counts, workspaces, a conditional second kernel) is written as a
// launch plan: JSON with `let` bindings, `workspaces` and ordered `steps` (kernel launches and
// memsets), every number an expression (eval/plan/expression.h) over the definition's axes, its
// scalar inputs, device facts and earlier lets. docs/candidate-contract.md is the reference
// the LLM and users follow; this header is the harness's side of it.
//
// Life cycle: parse_launch_plan() once per candidate checks the plan statically (unknown keys,
// unknown names, duplicate names, unknown arguments, sizes of lists); resolve_launch_plan()
// once per workload (untimed) evaluates it against the workload's axes and scalars and the
// device's limits, and yields concrete launches the harness replays for every call.
// Every error names its JSON path ("steps[1].grid[0]: unknown name 'bsz' ...") and, when it
// comes from evaluating, the values involved, so the LLM can act on it.
//
// Thread-safety: parsed and resolved plans are immutable values; any number of threads may
// resolve the same launch_plan at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/plan/expression.h"

namespace ksearch::eval {

struct device_info;  // eval/gpu/cuda_driver.h

// ---------------------------------------------------------------------------------------------
// Types shared with the harness

/// The C type of a scalar kernel parameter: int32_t, int64_t, uint32_t, uint64_t, float, double.
enum class scalar_type { i32, i64, u32, u64, f32, f64 };

/// "i32", "i64", "u32", "u64", "f32", "f64" (the keys a plan uses for typed arguments).
[[nodiscard]] std::string_view to_string(scalar_type type);
/// 4 or 8 [bytes].
[[nodiscard]] std::size_t byte_size(scalar_type type);
/// Definition dtype -> scalar type: "int32" i32, "int64" i64, "uint32" u32, "uint64" u64,
/// "float32" f32, "float64" f64. Other dtypes (bool, int8, float16, ...) have no kernel-parameter
/// mapping here and give an error (subject: the dtype) saying so.
[[nodiscard]] result<scalar_type> scalar_type_from_dtype(std::string_view dtype);

/// What the plan may refer to, from the definition. Orders matter: tensor indices in resolved
/// arguments are positions in these lists (the definition's signature order).
struct plan_interface {
  std::vector<std::string> tensor_inputs;                          // passed as device pointers
  std::vector<std::string> tensor_outputs;                         // destination-passing
  std::vector<std::pair<std::string, scalar_type>> scalar_inputs;  // shape null in the definition
  std::vector<std::string> axes;                                   // const and var
};

/// The device facts a plan can read and the limits a resolved plan must respect.
struct device_limits {
  int num_sms = 0;
  int cc = 0;                       // compute capability * 10 + minor, e.g. 90
  std::int64_t max_smem_optin = 0;  // largest dynamic shared memory per block after opt-in [bytes]
  std::int64_t l2_bytes = 0;        // [bytes]
  int max_threads_per_block = 1024;
  std::array<std::int64_t, 3> max_block{1024, 1024, 64};
  std::array<std::int64_t, 3> max_grid{2147483647, 65535, 65535};
  int max_cluster_size = 8;                                   // portable cluster size limit (blocks)
  std::int64_t max_workspace_bytes = std::int64_t{16} << 30;  // per workspace [bytes]
};

/// The names device facts have in expressions, in the order add_device_facts() adds them.
inline constexpr std::array<std::string_view, 4> device_fact_names{"num_sms", "cc", "max_smem_optin", "l2_bytes"};

/// Puts num_sms, cc, max_smem_optin and l2_bytes into `symbols` (ints), replacing old values.
void add_device_facts(symbol_table& symbols, const device_limits& limits);
/// Limits for a described device: its SM count, compute capability, opt-in shared memory and L2;
/// clusters allowed (8 blocks) from compute capability 9.0; the rest at the CUDA defaults above.
[[nodiscard]] device_limits device_limits_from(const device_info& device);

// ---------------------------------------------------------------------------------------------
// The parsed plan

enum class arg_kind { input, output, workspace, scalar };
enum class step_kind { launch, memset };

/// Hard limits on plan size (a plan is LLM output; these keep a bad one cheap to reject).
inline constexpr std::size_t max_plan_lets = 64;
inline constexpr std::size_t max_plan_workspaces = 16;
inline constexpr std::size_t max_plan_steps = 64;
inline constexpr std::size_t max_step_args = 64;

struct plan_let {
  std::string name;
  expression value;
};

struct plan_workspace {
  std::string name;
  std::optional<expression> bytes;   // the {"bytes": expr} form
  std::string dtype;                 // the {"dtype", "shape"} form: element type (eval/check/dtype.h name)
  std::size_t element_bytes = 0;     //   its size [bytes]
  std::vector<expression> shape;     //   1..8 dimensions (elements)
  std::optional<std::uint8_t> init;  // byte written over the whole workspace before every call;
                                     // nullopt: "none" (contents undefined)
};

struct plan_arg {
  arg_kind kind = arg_kind::scalar;
  int index = -1;                       // input/output/workspace: position in its list
  scalar_type type = scalar_type::i32;  // scalar only
  std::optional<expression> value;      // scalar only; a bare scalar input is the expression `name`
  bool by_name = false;                 // scalar given as a bare input name, not {"<type>": expr}
};

struct plan_step {
  step_kind kind = step_kind::launch;
  std::optional<expression> when;  // the step runs only where this is non-zero
  // launch
  std::string kernel;                  // extern "C" name
  std::vector<expression> grid;        // 1..3 dimensions; missing ones are 1
  std::vector<expression> block;       // 1..3
  std::vector<expression> cluster;     // 0..3 (empty: no cluster)
  std::optional<expression> dyn_smem;  // [bytes]; absent: 0
  bool cooperative = false;
  std::vector<plan_arg> args;
  // memset: the whole output or workspace
  arg_kind target_kind = arg_kind::workspace;  // output or workspace
  int target_index = -1;
  std::uint8_t value = 0;
};

struct launch_plan {
  plan_interface iface;
  std::vector<plan_let> lets;
  std::vector<plan_workspace> workspaces;
  std::vector<plan_step> steps;
};

/// Checks `plan` against `iface` and keeps it in parsed form. Several problems are reported in
/// one error (subject "launch plan", one line each) so the LLM can fix them in one round.
[[nodiscard]] result<launch_plan> parse_launch_plan(const json& plan, const plan_interface& iface);
/// The same from JSON text (e.g. the LLM's launch.json); invalid JSON is an error naming the spot.
[[nodiscard]] result<launch_plan> parse_launch_plan_text(std::string_view json_text, const plan_interface& iface);

/// Distinct kernel names the plan launches, in order of first appearance (to look up in the module).
[[nodiscard]] std::vector<std::string> kernel_names(const launch_plan& plan);

// ---------------------------------------------------------------------------------------------
// The plan resolved for one workload

struct resolved_workspace {
  std::string name;
  std::int64_t bytes = 0;            // >= 1 and <= device_limits::max_workspace_bytes
  std::optional<std::uint8_t> init;  // set before every call (timed), as plan_workspace::init
};

struct resolved_arg {
  arg_kind kind = arg_kind::scalar;
  int index = -1;                       // input/output/workspace: position in its list
  scalar_type type = scalar_type::i32;  // scalar only
  plan_value value;                     // scalar only; f32 values already rounded to float
  std::array<std::byte, 8> bytes{};     // scalar only: the parameter as the kernel reads it
                                        // (first byte_size(type) bytes, host byte order)

  /// Size of the kernel parameter [bytes]: 8 for a pointer, byte_size(type) for a scalar.
  [[nodiscard]] std::size_t param_size() const { return kind == arg_kind::scalar ? byte_size(type) : 8; }
};

struct resolved_step {
  step_kind kind = step_kind::launch;
  std::size_t plan_step = 0;  // index in launch_plan::steps, for "steps[i]" in messages
  // launch
  std::string kernel;
  std::array<std::uint32_t, 3> grid{1, 1, 1};
  std::array<std::uint32_t, 3> block{1, 1, 1};
  std::array<std::uint32_t, 3> cluster{1, 1, 1};  // all 1: no cluster
  std::uint32_t dyn_smem = 0;                     // [bytes]
  bool cooperative = false;
  std::vector<resolved_arg> args;
  // memset
  arg_kind target_kind = arg_kind::workspace;
  int target_index = -1;
  std::uint8_t value = 0;
};

struct resolved_plan {
  std::vector<std::pair<std::string, plan_value>> lets;  // evaluated, in order (for logs and feedback)
  std::vector<resolved_workspace> workspaces;            // same order as launch_plan::workspaces
  std::vector<resolved_step> steps;                      // steps whose `when` held, in order
};

/// Evaluates `plan` for one workload. `workload_symbols` holds every axis and scalar input of the
/// interface (a missing one is a harness bug, reported as such); device facts are taken from
/// `limits` and override same-named entries. Checks every value against its type and the device
/// limits; the error names the field and shows the evaluated values, e.g.
///   "steps[0].block: 32 x 64 x 1 = 2048 threads, over the device limit 1024".
/// A workload on which every step is skipped is an error (nothing would write the outputs).
[[nodiscard]] result<resolved_plan> resolve_launch_plan(const launch_plan& plan, const symbol_table& workload_symbols,
                                                        const device_limits& limits);

struct kernel_smem {
  std::string kernel;
  std::uint32_t max_dyn_smem = 0;  // [bytes]
};
/// For each kernel launched by `plan`, the largest dyn_smem of its launches, in order of first
/// appearance: what the harness sets as CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
[[nodiscard]] std::vector<kernel_smem> max_dyn_smem_per_kernel(const resolved_plan& plan);

/// One line per let, workspace and step ("step 1 merge: grid 64 x 32 x 1, block 128 x 1 x 1, ..."),
/// for logs and for showing the LLM what its plan turned into.
[[nodiscard]] std::string describe_resolved_plan(const resolved_plan& plan, const launch_plan& source);

}  // namespace ksearch::eval
