// Turns supctl selectors ("all", a program, "name:i", a group) into instances, in config
// order. An unknown selector is an error that suggests the closest valid name.
#pragma once

#include <string>
#include <vector>

#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon {

struct InstanceRef {
  std::string program;
  int index = 0;
  bool operator==(const InstanceRef&) const = default;
};

// An empty list selects everything, like "all".
Result<std::vector<InstanceRef>> ResolveSelectors(const std::vector<std::string>& selectors,
                                                  const conf::Config& config);

}  // namespace sup::daemon
