#include "core/selector.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <unordered_map>

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
  // Names looked up through an index, and instances marked rather than listed: with 10 000
  // programs and 1 024 selectors, scanning the config per selector and listing a program's
  // instances once per mention cost the loop most of a second (SPEC §9.1 Connections).
  std::unordered_map<std::string_view, std::size_t> program_at;
  for (std::size_t k = 0; k < config.programs.size(); ++k) program_at.emplace(config.programs[k].name, k);
  std::unordered_map<std::string_view, const conf::GroupSpec*> group_at;
  for (const auto& g : config.groups) group_at.emplace(g.name, &g);
  std::vector<std::vector<bool>> chosen(config.programs.size());
  auto choose_all = [&](std::size_t k) {
    chosen[k].assign(static_cast<std::size_t>(std::max(config.programs[k].instances, 0)), true);
  };
  auto find = [&](std::string_view name) -> const std::size_t* {
    auto it = program_at.find(name);
    return it == program_at.end() ? nullptr : &it->second;
  };
  for (const auto& sel : selectors) {
    if (const auto* k = find(sel)) {
      choose_all(*k);
    } else if (auto g = group_at.find(sel); g != group_at.end()) {
      for (const auto& name : g->second->programs)
        if (const auto* member = find(name)) choose_all(*member);
    } else if (auto colon = sel.rfind(':'); colon != std::string::npos) {
      const auto* k = find(std::string_view(sel).substr(0, colon));
      if (!k) return Fail(NotFound(sel, config));
      const auto& prog = config.programs[*k];
      int index = -1;
      const char* first = sel.data() + colon + 1;
      const char* last = sel.data() + sel.size();
      auto [end, ec] = std::from_chars(first, last, index);
      if (ec != std::errc() || end != last || first == last || index < 0 || index >= prog.instances) {
        return Fail(Error{ErrorCode::kNotFound, 0,
                          "no instance '" + sel + "' (" + prog.name + " has " +
                              std::to_string(prog.instances) + " instance" +
                              (prog.instances == 1 ? "" : "s") + ")"});
      }
      if (chosen[*k].empty()) chosen[*k].resize(static_cast<std::size_t>(prog.instances));
      chosen[*k][static_cast<std::size_t>(index)] = true;
    } else {
      return Fail(NotFound(sel, config));
    }
  }
  // Config order, each instance once ("web web:0" selects web:0 once).
  for (std::size_t k = 0; k < config.programs.size(); ++k)
    for (std::size_t i = 0; i < chosen[k].size(); ++i)
      if (chosen[k][i]) picked.push_back({config.programs[k].name, static_cast<int>(i)});
  return picked;
}

}  // namespace sup::daemon
