// ksearch/common/json_fwd.h — the names of ksearch's JSON types, without their definitions.
//
// See ksearch/common/json.h for which to use where.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace ksearch {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

}  // namespace ksearch
