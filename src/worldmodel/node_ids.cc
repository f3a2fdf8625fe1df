#include "ksearch/worldmodel/node_ids.h"

#include <cctype>

namespace ksearch::worldmodel {

std::string id_stem(std::string_view task_name) {
  constexpr std::size_t max_chars = 48;
  std::string stem;
  for (char c : task_name) {
    if (stem.size() == max_chars) break;
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    stem += keep ? c : '_';
  }
  return stem.empty() ? "task" : stem;
}

std::string unused_node_id(const world_model& wm, std::string_view prefix, int& counter) {
  for (;; ++counter) {
    std::string id = std::string(prefix) + std::to_string(counter);
    if (wm.find(id) == nullptr) {
      ++counter;
      return id;
    }
  }
}

}  // namespace ksearch::worldmodel
