// ksearch/common/content_hash.h — a stable 64-bit hash of text fields (FNV-1a).
//
// Used where ksearch needs to recognise the same content again: a request in a transcript, a
// solution's sources. Not for security. Each field is followed by a separator byte that cannot
// occur in UTF-8 text, so the fields ("ab", "c") and ("a", "bc") hash differently.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ksearch {

class content_hash {
 public:
  content_hash& add(std::string_view field);
  [[nodiscard]] std::uint64_t value() const { return hash_; }
  /// 16 lower-case hex digits.
  [[nodiscard]] std::string hex() const;

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace ksearch
