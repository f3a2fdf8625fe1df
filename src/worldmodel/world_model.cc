#include "ksearch/worldmodel/world_model.h"

#include <algorithm>
#include <set>

#include "ksearch/common/text.h"

namespace ksearch::worldmodel {

std::string_view to_string(node_outcome outcome) {
  switch (outcome) {
    case node_outcome::none: return "none";
    case node_outcome::failed: return "failed";
    case node_outcome::too_hard: return "too_hard";
    case node_outcome::pruned: return "pruned";
  }
  return "none";
}

result<node_outcome> node_outcome_from_string(std::string_view text) {
  for (node_outcome o : {node_outcome::none, node_outcome::failed, node_outcome::too_hard, node_outcome::pruned}) {
    if (text == to_string(o)) return o;
  }
  return fail("outcome", "unknown outcome '" + std::string(text) + "'", "use none, failed, too_hard or pruned");
}

const node* world_model::find(std::string_view id) const {
  for (const node& n : nodes) {
    if (n.node_id == id) return &n;
  }
  return nullptr;
}

node* world_model::find(std::string_view id) {
  for (node& n : nodes) {
    if (n.node_id == id) return &n;
  }
  return nullptr;
}

std::vector<const node*> world_model::children(std::string_view id) const {
  std::vector<const node*> out;
  for (const node& n : nodes) {
    if (n.parent_id && *n.parent_id == id) out.push_back(&n);
  }
  return out;
}

std::vector<const node*> world_model::path_to(std::string_view id) const {
  std::vector<const node*> path;
  std::set<std::string_view> seen;
  for (const node* n = find(id); n != nullptr && seen.insert(n->node_id).second;
       n = n->parent_id ? find(*n->parent_id) : nullptr) {
    path.push_back(n);
  }
  std::reverse(path.begin(), path.end());
  return path;
}

int world_model::depth(std::string_view id) const {
  const std::size_t length = path_to(id).size();
  return length == 0 ? 0 : static_cast<int>(length) - 1;
}

std::map<std::string, impact> default_impacts() {
  std::map<std::string, impact> out;
  for (std::string_view key : impact_keys) out.emplace(std::string(key), impact{});
  return out;
}

world_model empty_world_model() {
  world_model wm;
  node root;
  root.node_id = wm.root_id;
  root.impacts = default_impacts();
  wm.nodes.push_back(std::move(root));
  return wm;
}

std::optional<double> eval_score(const json& eval) {
  if (!eval.is_object()) return std::nullopt;
  if (auto it = eval.find("score"); it != eval.end() && it->is_number()) return it->get<double>();
  if (auto m = eval.find("metrics"); m != eval.end() && m->is_object()) {
    if (auto it = m->find("score"); it != m->end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

bool eval_passed(const json& eval) {
  if (!eval.is_object()) return true;
  auto it = eval.find("status");
  if (it == eval.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  return equals_ignoring_case(trim(it->get_ref<const std::string&>()), "passed");
}

}  // namespace ksearch::worldmodel
