#include "core/dependency_graph.h"

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

}  // namespace sup::daemon
