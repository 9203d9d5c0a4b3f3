// The reload planner; see diff.h. Both configs are fully defaulted and ${VAR}-expanded, so a
// plain field comparison is a key-by-key comparison of what the operator wrote.
#include "sup/conf/diff.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "sup/conf/expand.h"

namespace sup::conf {
namespace {

// memory_max and cpu_max are written to the instance's cgroup when it is made, at the spawn.
constexpr std::array<std::string_view, 12> kRestartKeys{
    "command", "shell", "directory", "user", "group", "umask", "environment", "clear_env", "limits",
    "stderr.merge", "memory_max", "cpu_max"};

bool Same(const Backoff& a, const Backoff& b) {
  return a.initial == b.initial && a.max == b.max && a.factor == b.factor && a.jitter == b.jitter;
}
bool Same(const StartLimit& a, const StartLimit& b) { return a.burst == b.burst && a.interval == b.interval; }
bool Same(const Limits& a, const Limits& b) {
  return a.nofile == b.nofile && a.nproc == b.nproc && a.core == b.core;
}
bool Same(const std::vector<Dependency>& a, const std::vector<Dependency>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Dependency& x, const Dependency& y) {
    return x.program == y.program && x.condition == y.condition;
  });
}

// A relative log file moves when `logs_dir` does (SPEC §6: logs_dir applies on reload): its
// file key counts as changed then, so the instance reopens it in the new directory.
void OutputChanges(const std::string& stream, const OutputSpec& a, const OutputSpec& b,
                   const SupervisorSpec& sa, const SupervisorSpec& sb,
                   std::vector<std::string>& keys) {
  auto check = [&](const char* key, bool same) {
    if (!same) keys.push_back(stream + "." + key);
  };
  check("file", ResolveLogFile(a.file, sa) == ResolveLogFile(b.file, sb));
  check("max_size", a.max_size == b.max_size);
  check("backups", a.backups == b.backups);
  check("forward", a.forward == b.forward);
  check("forward_format", a.forward_format == b.forward_format);
  check("backpressure", a.backpressure == b.backpressure);
  check("timestamps", a.timestamps == b.timestamps);
  check("ring", a.ring == b.ring);
  if (stream == "stderr") check("merge", a.merge == b.merge);
}

std::vector<std::string> ChangedKeys(const ProgramSpec& a, const ProgramSpec& b,
                                     const SupervisorSpec& sa, const SupervisorSpec& sb) {
  std::vector<std::string> keys;
  auto check = [&](const char* key, bool same) {
    if (!same) keys.emplace_back(key);
  };
  check("command", a.command == b.command);
  check("shell", a.shell == b.shell);
  check("directory", a.directory == b.directory);
  check("user", a.user == b.user);
  check("group", a.group == b.group);
  check("umask", a.umask == b.umask);
  check("environment", a.environment == b.environment);
  check("clear_env", a.clear_env == b.clear_env);
  check("instances", a.instances == b.instances);
  check("autostart", a.autostart == b.autostart);
  check("restart", a.restart == b.restart);
  check("exit_codes", a.exit_codes == b.exit_codes);
  check("start_seconds", a.start_seconds == b.start_seconds);
  check("start_timeout", a.start_timeout == b.start_timeout);
  check("start_retries", a.start_retries == b.start_retries);
  check("backoff", Same(a.backoff, b.backoff));
  check("start_limit", Same(a.start_limit, b.start_limit));
  check("ready", a.ready == b.ready);
  check("depends_on", Same(a.depends_on, b.depends_on));
  check("priority", a.priority == b.priority);
  check("stop_signal", a.stop_signal == b.stop_signal);
  check("stop_timeout", a.stop_timeout == b.stop_timeout);
  check("kill_group", a.kill_group == b.kill_group);
  check("reload_signal", a.reload_signal == b.reload_signal);
  check("forward_signals", a.forward_signals == b.forward_signals);
  check("watchdog", a.watchdog == b.watchdog);
  check("on_fatal", a.on_fatal == b.on_fatal);
  check("limits", Same(a.limits, b.limits));
  check("memory_max", a.memory_max == b.memory_max);
  check("memory_check_interval", a.memory_check_interval == b.memory_check_interval);
  check("cpu_max", a.cpu_max == b.cpu_max);
  OutputChanges("stdout", a.stdout_log, b.stdout_log, sa, sb, keys);
  OutputChanges("stderr", a.stderr_log, b.stderr_log, sa, sb, keys);
  const HealthSpec& h = a.health;
  const HealthSpec& k = b.health;
  check("health.exec", h.exec == k.exec);
  check("health.tcp", h.tcp == k.tcp);
  check("health.http", h.http == k.http);
  check("health.interval", h.interval == k.interval);
  check("health.timeout", h.timeout == k.timeout);
  check("health.retries", h.retries == k.retries);
  check("health.start_period", h.start_period == k.start_period);
  check("health.on_unhealthy", h.on_unhealthy == k.on_unhealthy);
  return keys;
}

}  // namespace

bool IsRestartKey(const std::string& key) {
  return std::find(kRestartKeys.begin(), kRestartKeys.end(), key) != kRestartKeys.end();
}

ReloadPlan Diff(const Config& old_config, const Config& new_config) {
  ReloadPlan plan;
  for (const auto& p : new_config.programs) {
    const ProgramSpec* before = old_config.FindProgram(p.name);
    if (!before) {
      plan.added.push_back(p.name);
      continue;
    }
    std::vector<std::string> keys = ChangedKeys(*before, p, old_config.supervisor, new_config.supervisor);
    if (keys.empty()) {
      plan.untouched.push_back(p.name);
    } else if (std::any_of(keys.begin(), keys.end(), IsRestartKey)) {
      plan.restarted.push_back({p.name, std::move(keys)});
    } else {
      plan.updated.push_back({p.name, std::move(keys)});
    }
  }
  for (const auto& p : old_config.programs)
    if (!new_config.FindProgram(p.name)) plan.removed.push_back(p.name);

  const SupervisorSpec& a = old_config.supervisor;
  const SupervisorSpec& b = new_config.supervisor;
  auto check = [&](const char* key, bool same) {
    if (!same) plan.not_applied.push_back(std::string("supervisor.") + key);
  };
  check("socket", a.socket == b.socket);
  check("socket_mode", a.socket_mode == b.socket_mode);
  check("socket_group", a.socket_group == b.socket_group);
  check("status_shm", a.status_shm == b.status_shm);
  check("shm_mode", a.shm_mode == b.shm_mode);
  check("http", a.http == b.http);
  check("cgroup", a.cgroup == b.cgroup);
  return plan;
}

}  // namespace sup::conf
