// The reload planner (SPEC §6 "Reload"): compares two validated configs key by key and says
// what supd must do. Pure; supd executes the plan, `supctl reload --dry-run` prints it.
#pragma once

#include <string>
#include <vector>

#include "sup/conf/config.h"

namespace sup::conf {

// `keys` are named as in the TOML: "command", "stop_timeout", "stdout.file", "health.interval".
struct ProgramChange {
  std::string name;
  std::vector<std::string> keys;
};

// Program names in the new config's order (removed ones in the old config's order).
// restarted: a restart-class key changed (command, shell, directory, user, group, umask,
//            environment, clear_env, limits, stderr.merge); `keys` lists every changed key.
// updated:   only keys that apply in place changed (instances included: supd grows or
//            shrinks by index).
// not_applied: [supervisor] keys that need a supd restart, as "supervisor.socket" etc.
struct ReloadPlan {
  std::vector<std::string> added, removed, untouched;
  std::vector<ProgramChange> restarted, updated;
  std::vector<std::string> not_applied;
};

ReloadPlan Diff(const Config& old_config, const Config& new_config);

// The program keys whose change restarts running instances.
bool IsRestartKey(const std::string& key);

}  // namespace sup::conf
