// ksearch/tasks/fixed_inputs.h — the inputs of a workload whose values are fixed, not random.
//
// A workload draws most inputs at random per trial, but some are data: the index arrays of paged
// attention (which cache slots a sequence owns) come from safetensors blobs in a FlashInfer Trace
// dataset. This module produces those values once per workload:
//   - kind::safetensors with a blob on disk: read from <dataset root>/<path>, tensor <tensor_key>,
//     checked against the definition's dtype and the workload's shape;
//   - kind::safetensors marked "generated" (the blob is not shipped, tasks/flashinfer/README.md):
//     index arrays generated deterministically from the workload's uuid (docs/task-formats.md,
//     "FlashInfer: generated index arrays"):
//       qo_indptr   total_q queries split into len_indptr - 1 sequences of at least one query;
//       kv_indptr   decode: num_kv_indices tokens split into sequences of at least one token;
//                   with a qo_indptr (prefill): each sequence gets its queries plus a cached prefix
//                   of zero or more tokens, the prefixes adding up to num_kv_indices - total_q,
//                   so every query sees at least one token;
//       kv_indices  num_kv_indices distinct slots of [0, num_pages), in random order.
//     A generated input of a floating dtype (captured router logits) is left to the random draw.
//     Any other generated integer input is an error naming it: ksearch has no rule for it.
// The values depend only on the uuid and the input's name, never on the trial, the GPU or the
// platform (an own splitmix64 stream, no std:: distributions).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::tasks {

/// The bytes of every fixed input of `w`, by input name (little-endian, C-contiguous, exactly the
/// size of the input's shape and dtype). Inputs left out are drawn at random by the caller.
/// Errors name the workload, the input and the file or the rule that failed.
[[nodiscard]] result<std::map<std::string, std::vector<std::byte>>> fixed_inputs(
    const definition& def, const workload& w, const std::filesystem::path& dataset_root);

/// The generated index arrays alone, as int32 values (exposed for tests and `ksearch tasks`).
[[nodiscard]] result<std::map<std::string, std::vector<std::int32_t>>> generated_index_arrays(const definition& def,
                                                                                            const workload& w);

}  // namespace ksearch::tasks
