// Who depends on whom (SPEC §4 depends_on), transitively, both ways: the start order's and the
// stop waves' question. Built once per config; the loader has already rejected cycles.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
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

}  // namespace sup::daemon
