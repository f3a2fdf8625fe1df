#include "ksearch/llm/http_client.h"

#include <curl/curl.h>

#include <stdexcept>

namespace ksearch::llm {

curl_global::curl_global() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("curl_global_init failed");
  }
}

curl_global::~curl_global() { curl_global_cleanup(); }

}  // namespace ksearch::llm
