#include "ksearch/bench/ncu_profile.h"

#include <fstream>
#include <iterator>
#include <set>

#include "ksearch/bench/ncu_command.h"
#include "ksearch/bench/ncu_csv.h"
#include "ksearch/common/scratch_dir.h"

namespace ksearch::bench {

result<ncu_profile> profile_calls(const std::filesystem::path& ncu, const std::vector<std::string>& program,
                                  const std::vector<std::string>& call_kernels, std::size_t calls,
                                  std::chrono::milliseconds timeout) {
  if (call_kernels.empty()) return fail("call kernels", "a call must launch at least one kernel");
  auto scratch = scratch_dir::create("ksearch-bench-ncu-");
  if (!scratch) return std::unexpected(scratch.error());

  ncu_invocation invocation;
  invocation.ncu = ncu;
  invocation.log_file = scratch->path() / "ncu.csv";
  const std::set<std::string> distinct(call_kernels.begin(), call_kernels.end());
  invocation.kernel_names.assign(distinct.begin(), distinct.end());
  invocation.window = timing_phase_window(call_kernels.size(), calls);
  invocation.program = program;

  auto ran = run_command(ncu_argv(invocation), {.timeout = timeout});
  if (!ran) return std::unexpected(ran.error());
  ncu_profile profile;
  profile.run = std::move(*ran);

  std::string csv;
  if (std::ifstream in(invocation.log_file, std::ios::binary); in) csv.assign(std::istreambuf_iterator<char>(in), {});
  if (csv.empty()) csv = profile.run.out;
  profile.ncu_error = first_ncu_error(csv + "\n" + profile.run.out + "\n" + profile.run.err);

  auto rows = parse_ncu_csv(csv);
  if (!rows) return std::unexpected(rows.error());
  auto durations = call_durations_ms(*rows, invocation.metric, call_kernels);
  if (!durations) return std::unexpected(durations.error());
  profile.calls_ms = std::move(*durations);
  return profile;
}

}  // namespace ksearch::bench
