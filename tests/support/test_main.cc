// The test binaries' main: owns the process-wide curl initialisation, like ksearch's own main.
#include <gtest/gtest.h>

#include "ksearch/llm/http_client.h"

int main(int argc, char** argv) {
  ksearch::llm::curl_global curl;
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
