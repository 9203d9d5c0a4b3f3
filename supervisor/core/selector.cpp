#include "core/selector.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "sup/conf/suggest.h"

namespace sup::daemon {
namespace {

Error NotFound(const std::string& selector, const conf::Config& config) {
  std::vector<std::string> names{"all"};
  for (const auto& p : config.programs) names.push_back(p.name);
  for (const auto& g : config.groups) names.push_back(g.name);
  std::string message = "no program or group '" + selector + "'";
  if (auto best = conf::ClosestMatch(selector, names); !best.empty())
    message += " (did you mean '" + best + "'?)";
  return Error{ErrorCode::kNotFound, 0, message};
}

void AddProgram(const conf::ProgramSpec& p, std::vector<InstanceRef>& out) {
  for (int i = 0; i < p.instances; ++i) out.push_back({p.name, i});
}

}  // namespace

Result<std::vector<InstanceRef>> ResolveSelectors(const std::vector<std::string>& selectors,
                                                  const conf::Config& config) {
  std::vector<InstanceRef> picked;
  if (selectors.empty() || std::find(selectors.begin(), selectors.end(), "all") != selectors.end()) {
    for (const auto& p : config.programs) AddProgram(p, picked);
    return picked;
  }
  for (const auto& sel : selectors) {
    if (const auto* p = config.FindProgram(sel)) {
      AddProgram(*p, picked);
    } else if (const auto* g = config.FindGroup(sel)) {
      for (const auto& name : g->programs)
        if (const auto* member = config.FindProgram(name)) AddProgram(*member, picked);
    } else if (auto colon = sel.rfind(':'); colon != std::string::npos) {
      const auto* prog = config.FindProgram(sel.substr(0, colon));
      int index = -1;
      const char* first = sel.data() + colon + 1;
      const char* last = sel.data() + sel.size();
      auto [end, ec] = std::from_chars(first, last, index);
      if (!prog) return Fail(NotFound(sel, config));
      if (ec != std::errc() || end != last || first == last || index < 0 ||
          index >= prog->instances) {
        return Fail(Error{ErrorCode::kNotFound, 0,
                          "no instance '" + sel + "' (" + prog->name + " has " +
                              std::to_string(prog->instances) + " instance" +
                              (prog->instances == 1 ? "" : "s") + ")"});
      }
      picked.push_back({prog->name, index});
    } else {
      return Fail(NotFound(sel, config));
    }
  }
  // Keep config order and drop duplicates ("web web:0" selects web:0 once).
  std::set<std::pair<std::string, int>> chosen;
  for (auto& ref : picked) chosen.emplace(std::move(ref.program), ref.index);
  std::vector<InstanceRef> ordered;
  for (const auto& p : config.programs)
    for (int i = 0; i < p.instances; ++i)
      if (chosen.count({p.name, i})) ordered.push_back({p.name, i});
  return ordered;
}

}  // namespace sup::daemon
