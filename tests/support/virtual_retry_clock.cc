#include "support/virtual_retry_clock.h"

namespace ksearch::test_support {

std::chrono::system_clock::time_point virtual_retry_clock::calendar_start() {
  using namespace std::chrono;
  return sys_days(year(2025) / January / 15) + hours(12);
}

std::chrono::steady_clock::time_point virtual_retry_clock::now() {
  std::lock_guard lock(mutex_);
  return std::chrono::steady_clock::now() + slept_;
}

std::chrono::system_clock::time_point virtual_retry_clock::calendar_now() {
  std::lock_guard lock(mutex_);
  return calendar_start() + slept_;
}

void virtual_retry_clock::sleep_for(std::chrono::milliseconds wait) {
  std::lock_guard lock(mutex_);
  slept_ += wait;
  sleeps_.push_back(wait);
}

std::vector<std::chrono::milliseconds> virtual_retry_clock::sleeps() const {
  std::lock_guard lock(mutex_);
  return sleeps_;
}

}  // namespace ksearch::test_support
