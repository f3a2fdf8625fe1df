// ksearch/tasks/definition_text.h — a Definition as the text the LLM reads.
//
// The layout follows K-Search's FlashInfer adapter (docs/k-search-compatibility.md, "Prompts:
// definition text"), one fact per line so that prompts can compact it by section
// (search/prompts.h: prompt_compaction):
//
//   Name: gqa_paged_decode_h32_kv4_d128_ps1
//   Type: gqa_paged
//   Description: Batched grouped-query attention decode ...
//
//   Axes:
//     num_qo_heads: constant = 32 (Number of query heads.)
//     batch_size: variable
//
//   Inputs:
//     q: [batch_size, num_qo_heads, head_dim] bfloat16 (Query tensor.)
//     sm_scale: scalar float32 (Softmax scale.)
//
//   Outputs:
//     ...
//
//   Constraints:
//     - num_kv_indices == kv_indptr[-1].item()
//
//   Reference Implementation:
//   <the reference code, verbatim>
//
// Section headers are exact lines. Description and Constraints are left out when empty; a
// multi-line description or item is joined into one line. Inputs and outputs are in call order.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "ksearch/tasks/definition.h"

namespace ksearch::tasks {

[[nodiscard]] std::string definition_text(const definition& def);

}  // namespace ksearch::tasks
