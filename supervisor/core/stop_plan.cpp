#include "core/stop_plan.h"

#include <algorithm>
#include <map>

namespace sup::daemon {

std::vector<std::string> ReleasableForStop(const DependencyGraph& graph,
                                           const conf::Config& config,
                                           const std::set<std::string>& stopping,
                                           const std::set<std::string>& alive,
                                           const std::set<std::string>& signalled) {
  std::vector<const conf::ProgramSpec*> released;
  for (const auto& p : config.programs) {
    if (!stopping.count(p.name) || !alive.count(p.name) || signalled.count(p.name)) continue;
    bool blocked = false;
    for (const auto& dependant : graph.Dependants(p.name))
      if (stopping.count(dependant) && alive.count(dependant)) blocked = true;
    if (!blocked) released.push_back(&p);
  }
  std::sort(released.begin(), released.end(), [](const auto* a, const auto* b) {
    return a->priority != b->priority ? a->priority > b->priority : a->name < b->name;
  });
  std::vector<std::string> names;
  for (const auto* p : released) names.push_back(p->name);
  return names;
}

}  // namespace sup::daemon
