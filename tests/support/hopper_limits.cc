#include "support/hopper_limits.h"

namespace ksearch::test_support {

eval::device_limits hopper_limits() {
  eval::device_limits limits;
  limits.num_sms = 132;
  limits.cc = 90;
  limits.max_smem_optin = 232448;
  limits.l2_bytes = std::int64_t{50} << 20;
  return limits;
}

}  // namespace ksearch::test_support
