#include "support/skipping_cheat.h"

#include <gtest/gtest.h>

#include <iostream>

#include "ksearch/common/json.h"

namespace ksearch::test_support {

namespace {

const char* decision(skip_when when) {
  switch (when) {
    case skip_when::inputs_unchanged:
      return "  const unsigned long long seen = (unsigned long long)input ^ ((unsigned long long)input[0] << 32) ^ input[1];\n"
             "  ks_skip = ks_memory == seen;\n"
             "  ks_memory = seen;\n";
    case skip_when::output_already_right:
      return "  ks_skip = output[0] != 0xFFFFFFFFu && output[0] != 0x5A5A5A5Au;\n";
    case skip_when::calls_back_to_back:
      return "  ks_skip = ks_last_end != 0 && now - ks_last_end < 1000000ULL;\n";
  }
  return "";
}

}  // namespace

const char* to_string(skip_when when) {
  switch (when) {
    case skip_when::inputs_unchanged: return "inputs_unchanged";
    case skip_when::output_already_right: return "output_already_right";
    case skip_when::calls_back_to_back: return "calls_back_to_back";
  }
  return "?";
}

eval::solution_code skipping_cheat(const eval::solution_code& honest, skip_when when, const std::string& input,
                                   const std::string& output) {
  std::string source =
      "__device__ int ks_skip;\n__device__ unsigned long long ks_memory, ks_last_end;\n" + honest.source;
  for (std::size_t at = source.find("extern \"C\" __global__"); at != std::string::npos;
       at = source.find("extern \"C\" __global__", at + 1)) {
    const std::size_t body = source.find('{', at);
    source.insert(body + 1, " if (ks_skip) return;");
  }
  source += std::string("\nextern \"C\" __global__ void ks_gate(const unsigned int* input, const unsigned int* output) {\n"
                        "  unsigned long long now;\n"
                        "  asm volatile(\"mov.u64 %0, %%globaltimer;\" : \"=l\"(now));\n") +
            decision(when) +
            "}\n"
            "extern \"C\" __global__ void ks_end() {\n"
            "  unsigned long long now;\n"
            "  asm volatile(\"mov.u64 %0, %%globaltimer;\" : \"=l\"(now));\n"
            "  ks_last_end = now;\n"
            "}\n";
  json plan = json::parse(honest.plan_json);
  json gate = {{"kernel", "ks_gate"}, {"args", json::array({input, output})}};
  gate["grid"] = json::array({1});
  gate["block"] = json::array({1});
  json end = {{"kernel", "ks_end"}, {"args", json::array()}};
  end["grid"] = json::array({1});
  end["block"] = json::array({1});
  plan["steps"].insert(plan["steps"].begin(), gate);
  plan["steps"].push_back(end);
  return {honest.name + "_skipping_" + to_string(when), source, plan.dump()};
}

void expect_caught_or_paid(skip_when when, const std::string& status, const std::string& log, double cheat_ms,
                           double honest_ms) {
  std::cout << "[ cheat    ] skips when " << to_string(when) << ": " << status << ", " << cheat_ms * 1e3
            << " us (honest " << honest_ms * 1e3 << " us) " << log.substr(0, 300) << "\n";
  if (status != "PASSED") {
    EXPECT_EQ(status, "INCORRECT_NUMERICAL") << to_string(when) << ": " << log;
    return;
  }
  EXPECT_GT(cheat_ms, 0.7 * honest_ms) << to_string(when) << ": passed with a latency it did not pay for";
}

}  // namespace ksearch::test_support
