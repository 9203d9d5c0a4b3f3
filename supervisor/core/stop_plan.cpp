#include "core/stop_plan.h"

#include <algorithm>
#include <map>

namespace sup::daemon {

DependencyGraph::DependencyGraph(const conf::Config& config) : programs_(config.programs) {
  // direct[p] = programs that depend on p directly.
  std::map<std::string, std::set<std::string>> direct;
  for (const auto& p : programs_) {
    direct[p.name];
    for (const auto& d : p.depends_on) direct[d.program].insert(p.name);
  }
  for (const auto& p : programs_) {
    std::set<std::string> seen;
    std::vector<std::string> todo(direct[p.name].begin(), direct[p.name].end());
    while (!todo.empty()) {  // the loader rejects cycles; `seen` still guards against them
      std::string next = std::move(todo.back());
      todo.pop_back();
      if (!seen.insert(next).second) continue;
      for (const auto& n : direct[next]) todo.push_back(n);
    }
    dependants_.emplace_back(p.name, std::move(seen));
  }
}

const std::set<std::string>& DependencyGraph::Dependants(const std::string& program) const {
  static const std::set<std::string> kNone;
  for (const auto& [name, set] : dependants_)
    if (name == program) return set;
  return kNone;
}

std::set<std::string> DependencyGraph::Dependencies(const std::string& program) const {
  std::set<std::string> out;
  for (const auto& [name, set] : dependants_)
    if (set.count(program)) out.insert(name);
  return out;
}

std::vector<std::string> DependencyGraph::DirectDependants(const std::string& program) const {
  std::vector<std::string> out;
  for (const auto& p : programs_)
    for (const auto& d : p.depends_on)
      if (d.program == program) out.push_back(p.name);
  return out;
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
