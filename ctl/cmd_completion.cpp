// `supctl completion bash|zsh|fish` prints a completion script (completion.h); the hidden
// `supctl __complete-names` is what those scripts run to ask supd for program names.
#include <ostream>
#include <set>
#include <sstream>

#include "ctl/subcommands.h"
#include "ctl/completion.h"
#include "ctl/exit_codes.h"
#include "ctl/session.h"

namespace sup::ctl {

int RunCompletion(Context& ctx) {
  const std::string script = CompletionScript(ctx.inv.shell);
  if (script.empty()) {
    ctx.err << "supctl: no completion for shell '" << ctx.inv.shell << "' (bash, zsh or fish)\n";
    return kExitUsage;
  }
  ctx.out << script;
  return kExitOk;
}

// Programs, then the instances of those that have several ("web web:0 web:1"), then the
// groups, one a line.
// Quiet on failure: a completion must never print into the user's command line.
int RunCompleteNames(Context& ctx) {
  std::ostringstream quiet;
  auto session = Session::Open(ctx.inv.socket, quiet);
  if (auto* code = std::get_if<int>(&session)) return *code;
  auto reply = std::get<Session>(session).Call(
      WireRequest{"status", nlohmann::json{{"select", nlohmann::json::array()}}, false});
  if (auto* code = std::get_if<int>(&reply)) return *code;
  const nlohmann::json& doc = std::get<nlohmann::json>(reply);
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& inst : doc.value("instances", nlohmann::json::array())) {
    for (const char* key : {"program", "name"}) {
      const std::string name = inst.value(key, "");
      if (!name.empty() && seen.insert(name).second) names.push_back(name);
    }
  }
  if (auto groups = doc.find("groups"); groups != doc.end() && groups->is_object()) {
    for (const auto& [group, programs] : groups->items())
      if (seen.insert(group).second) names.push_back(group);
  }
  for (const auto& name : names) ctx.out << name << "\n";
  return kExitOk;
}

}  // namespace sup::ctl
