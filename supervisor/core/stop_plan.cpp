#include "core/stop_plan.h"

#include <algorithm>
#include <map>

namespace sup::daemon {

DependencyGraph::DependencyGraph(const conf::Config& config) {
  for (const auto& p : config.programs) {
    direct_[p.name];
    for (const auto& d : p.depends_on) direct_[d.program].push_back(p.name);
  }
  for (const auto& p : config.programs) {
    std::set<std::string> seen;
    std::vector<std::string> todo = direct_[p.name];
    while (!todo.empty()) {  // the loader rejects cycles; `seen` still guards against them
      std::string next = std::move(todo.back());
      todo.pop_back();
      if (!seen.insert(next).second) continue;
      for (const auto& n : direct_[next]) todo.push_back(n);
    }
    dependants_.emplace(p.name, std::move(seen));
  }
}

const std::set<std::string>& DependencyGraph::Dependants(const std::string& program) const {
  static const std::set<std::string> kNone;
  auto it = dependants_.find(program);
  return it == dependants_.end() ? kNone : it->second;
}

std::set<std::string> DependencyGraph::Dependencies(const std::string& program) const {
  std::set<std::string> out;
  for (const auto& [name, set] : dependants_)
    if (set.count(program)) out.insert(name);
  return out;
}

std::vector<std::string> DependencyGraph::DirectDependants(const std::string& program) const {
  auto it = direct_.find(program);
  return it == direct_.end() ? std::vector<std::string>{} : it->second;
}

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
