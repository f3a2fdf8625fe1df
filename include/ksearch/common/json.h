// ksearch/common/json.h — the two JSON types ksearch uses, by one name each.
//
// `json` (keys kept sorted) is for everything whose key order carries no meaning: records,
// traces, worker messages' bodies, reports, LLM wire messages. `ordered_json` keeps keys in the
// order they were written, and is used where that order is part of a format: a FlashInfer
// definition's inputs and outputs are the kernel's call signature, so definitions, and the worker
// requests that carry one, are ordered. A value of one type converts to the other directly
// (`json(value)`), never through text.
//
// Headers that only name the types include ksearch/common/json_fwd.h.
#pragma once

#include <nlohmann/json.hpp>

#include "ksearch/common/json_fwd.h"
