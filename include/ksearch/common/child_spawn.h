// ksearch/common/child_spawn.h — spawn attributes shared by every child process ksearch starts.
//
// A child (an evaluation worker, nvcc, ncu) leads its own process group, so that a timeout can
// kill it with everything it started, and begins with an empty signal mask and every signal at
// its default, whatever the parent had blocked or ignored.
//
// Thread-safety: operates on the caller's attribute object only.
#pragma once

#include <spawn.h>

namespace ksearch {

/// Sets POSIX_SPAWN_SETPGROUP (a new group), an empty signal mask and default dispositions.
void set_child_spawn_attributes(posix_spawnattr_t& attributes);

}  // namespace ksearch
