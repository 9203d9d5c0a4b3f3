// The child's environment (SPEC §4 "Child process"): five layers, later ones winning.
// Also the passwd/group look-ups that layer (2) and SpawnRequest's credentials need.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon {

inline constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct UserEntry {  // one passwd entry
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
};

// getpwnam_r / getgrnam_r; a numeric string is taken as an id ("1000"). May block on NSS:
// callers resolve at (re)load or spawn time. Not found: ErrorCode::kNotFound,
// "unknown user 'x'" / "unknown group 'x'".
Result<UserEntry> LookupUser(const std::string& name);
Result<gid_t> LookupGroup(const std::string& name);

// Layer (5): supd's own variables; empty strings and -1 are left out.
struct SupVariables {
  std::string program;        // SUP_PROGRAM
  std::string instance;       // SUP_INSTANCE ("0")
  std::string socket;         // SUP_SOCKET
  std::string notify_socket;  // NOTIFY_SOCKET
  int counters_fd = -1;       // SUP_COUNTERS_FD (the fd number in the child)
  std::optional<std::chrono::microseconds> watchdog;  // WATCHDOG_USEC; WATCHDOG_PID is
                                                      // SpawnRequest::watchdog_pid's job
};

// (1) `startup` minus NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*, SUP_* (skipped with clear_env);
// (2) HOME, USER, LOGNAME, SHELL from `user` when given; (3) kDefaultPath if PATH is unset;
// (4) `program_env` (already expanded, in file order); (5) `sup`.
// Returns "K=V" strings sorted by name, each name once.
std::vector<std::string> BuildEnvironment(
    const conf::Environment& startup, bool clear_env, const UserEntry* user,
    const std::vector<std::pair<std::string, std::string>>& program_env,
    const SupVariables& sup);

// The value of NAME in a "K=V" list, or nullptr.
const char* FindInEnvironment(const std::vector<std::string>& env, const std::string& name);

}  // namespace sup::daemon
