// The reload planner; see diff.h.
#include "sup/conf/diff.h"

namespace sup::conf {

bool IsRestartKey(const std::string& key) { (void)key; return false; }

ReloadPlan Diff(const Config& old_config, const Config& new_config) {
  (void)old_config;
  (void)new_config;
  return {};
}

}  // namespace sup::conf
