// ksearch/worldmodel/node_ids.h — ids for nodes the search or an edit script adds.
//
// Generated ids follow K-Search's shapes (node_<task>_r<round>_<k>, child_..., node_..._cont_<k>,
// node_best_cont_r<round>_<k>) but, unlike the original (which retried a collision once), the
// counter keeps counting until the id is unused, so a resumed run whose round numbers restart
// cannot produce duplicates.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/worldmodel/world_model.h"

namespace ksearch::worldmodel {

/// The task name as an id fragment: characters other than [A-Za-z0-9_-] become '_', at most 48
/// characters; "task" when empty.
[[nodiscard]] std::string id_stem(std::string_view task_name);

/// `prefix` followed by the smallest counter >= `counter` that gives an id no node of `wm` uses.
/// Leaves `counter` one past the value used, so successive calls in one application keep counting.
[[nodiscard]] std::string unused_node_id(const world_model& wm, std::string_view prefix, int& counter);

}  // namespace ksearch::worldmodel
