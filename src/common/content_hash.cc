#include "ksearch/common/content_hash.h"

#include <cstdio>

namespace ksearch {

namespace {
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;
}

content_hash& content_hash::add(std::string_view field) {
  for (const char c : field) {
    hash_ ^= static_cast<unsigned char>(c);
    hash_ *= fnv_prime;
  }
  hash_ ^= 0xFFU;  // the field separator: never a byte of UTF-8 text
  hash_ *= fnv_prime;
  return *this;
}

std::string content_hash::hex() const {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
  return text;
}

}  // namespace ksearch
