// Test support: everything a descriptor yields until end of file, for tests on real pipes.
#pragma once

#include <string>

namespace ksearch::test_support {

/// Reads `fd` (blocking) until end of file or an error; EINTR is retried.
[[nodiscard]] std::string read_to_end(int fd);

}  // namespace ksearch::test_support
