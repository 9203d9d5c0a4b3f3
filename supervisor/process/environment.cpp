#include "process/environment.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <map>

namespace sup::daemon {
namespace {

std::optional<unsigned long> ParseId(const std::string& text) {
  unsigned long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Names supd's own environment must not pass on (SPEC §4): they describe supd's manager.
bool InheritedFromSupd(const std::string& name) {
  return name != "NOTIFY_SOCKET" && name.rfind("LISTEN_", 0) != 0 &&
         name.rfind("WATCHDOG_", 0) != 0 && name.rfind("SUP_", 0) != 0;
}

}  // namespace

Result<UserEntry> LookupUser(const std::string& name) {
  std::vector<char> buffer(16 * 1024);
  passwd entry{};
  passwd* found = nullptr;
  const auto id = ParseId(name);
  for (;;) {
    const int rc = id ? getpwuid_r(static_cast<uid_t>(*id), &entry, buffer.data(), buffer.size(), &found)
                      : getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 && rc != ENOENT && rc != ESRCH) return Fail(SystemError("look up user '" + name + "'", rc));
    break;
  }
  if (found != nullptr) {
    return UserEntry{entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir ? entry.pw_dir : "",
                     entry.pw_shell ? entry.pw_shell : ""};
  }
  if (id) {  // a bare uid without a passwd entry, as container images often run: like Docker
    return UserEntry{name, static_cast<uid_t>(*id), static_cast<gid_t>(*id), "/", ""};
  }
  return Fail(Error{ErrorCode::kNotFound, 0, "unknown user '" + name + "'"});
}

Result<gid_t> LookupGroup(const std::string& name) {
  if (const auto id = ParseId(name)) return static_cast<gid_t>(*id);
  std::vector<char> buffer(16 * 1024);
  group entry{};
  group* found = nullptr;
  for (;;) {
    const int rc = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 && rc != ENOENT && rc != ESRCH) return Fail(SystemError("look up group '" + name + "'", rc));
    break;
  }
  if (found == nullptr) return Fail(Error{ErrorCode::kNotFound, 0, "unknown group '" + name + "'"});
  return entry.gr_gid;
}

std::vector<std::string> BuildEnvironment(
    const conf::Environment& startup, bool clear_env, const UserEntry* user,
    const std::vector<std::pair<std::string, std::string>>& program_env,
    const SupVariables& sup) {
  std::map<std::string, std::string> env;
  if (!clear_env) {
    for (const auto& [name, value] : startup) {
      if (InheritedFromSupd(name)) env[name] = value;
    }
  }
  if (user != nullptr) {
    env["HOME"] = user->home;
    env["USER"] = user->name;
    env["LOGNAME"] = user->name;
    env["SHELL"] = user->shell;
  }
  if (env.count("PATH") == 0) env["PATH"] = std::string(kDefaultPath).substr(5);
  for (const auto& [name, value] : program_env) env[name] = value;

  if (!sup.program.empty()) env["SUP_PROGRAM"] = sup.program;
  if (!sup.instance.empty()) env["SUP_INSTANCE"] = sup.instance;
  if (!sup.socket.empty()) env["SUP_SOCKET"] = sup.socket;
  if (!sup.notify_socket.empty()) env["NOTIFY_SOCKET"] = sup.notify_socket;
  if (sup.counters_fd >= 0) env["SUP_COUNTERS_FD"] = std::to_string(sup.counters_fd);
  if (sup.watchdog) env["WATCHDOG_USEC"] = std::to_string(sup.watchdog->count());

  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

const char* FindInEnvironment(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.compare(0, name.size(), name) == 0) {
      return entry.c_str() + name.size() + 1;
    }
  }
  return nullptr;
}

}  // namespace sup::daemon
