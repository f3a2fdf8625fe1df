#include "ksearch/search/activity.h"

namespace ksearch::search {

activity_observer& no_activity() {
  static quiet_activity quiet;
  return quiet;
}

}  // namespace ksearch::search
