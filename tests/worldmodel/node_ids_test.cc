#include "ksearch/worldmodel/node_ids.h"

#include <gtest/gtest.h>

namespace ksearch::worldmodel {
namespace {

TEST(NodeIds, StemKeepsSafeCharactersAndIsBounded) {
  EXPECT_EQ(id_stem("gemm_n4096-k.bf16 (v2)"), "gemm_n4096-k_bf16__v2_");
  EXPECT_EQ(id_stem(std::string(100, 'a')).size(), 48u);
  EXPECT_EQ(id_stem(""), "task");
}

TEST(NodeIds, CounterSkipsIdsInUse) {
  world_model wm = empty_world_model();
  for (const char* id : {"node_t_r1_1", "node_t_r1_2", "node_t_r1_4"}) {
    node n;
    n.node_id = id;
    n.parent_id = "root";
    wm.nodes.push_back(n);
  }
  int counter = 1;
  EXPECT_EQ(unused_node_id(wm, "node_t_r1_", counter), "node_t_r1_3");
  EXPECT_EQ(counter, 4);
  EXPECT_EQ(unused_node_id(wm, "node_t_r1_", counter), "node_t_r1_5");
}

}  // namespace
}  // namespace ksearch::worldmodel
