// Which programs of a stop set may receive their stop signal now (SPEC §4 "Stopping"): a
// program is released once every program that depends on it, directly or not, and is being
// stopped with it, is gone. Pure: the caller says who is still alive.
#pragma once

#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "sup/conf/config.h"

namespace sup::daemon {

class DependencyGraph {
 public:
  explicit DependencyGraph(const conf::Config& config);

  // Programs that depend on `program`, directly or not.
  const std::set<std::string>& Dependants(const std::string& program) const;
  // Programs `program` depends on, directly or not.
  std::set<std::string> Dependencies(const std::string& program) const;
  // Direct dependants only (for "still running dependants" warnings).
  std::vector<std::string> DirectDependants(const std::string& program) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> direct_;   // program -> direct dependants
  std::unordered_map<std::string, std::set<std::string>> dependants_;  // program -> transitive
};

// The programs of `stopping` that are alive, not yet signalled, and have no transitive
// dependant that is both in `stopping` and alive. Ordered by descending priority number
// (what started last is signalled first within one wave), then by name.
std::vector<std::string> ReleasableForStop(const DependencyGraph& graph,
                                           const conf::Config& config,
                                           const std::set<std::string>& stopping,
                                           const std::set<std::string>& alive,
                                           const std::set<std::string>& signalled);

}  // namespace sup::daemon
