// supctl's exit codes (SPEC §5) and how supd's error codes map onto them. The one table
// scripts rely on; a command with several instances exits with the worst (highest) code.
#pragma once

#include <string_view>

namespace sup::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // the command failed; the reason is printed
inline constexpr int kExitUsage = 2;         // usage or config error
inline constexpr int kExitNotWanted = 3;     // status/wait: an instance is not in the wanted state
inline constexpr int kExitUnreachable = 4;   // supd not reachable (ENOENT, ECONNREFUSED, …)
inline constexpr int kExitPermission = 5;    // permission denied by supd, or EACCES/EPERM

// The exit code for an error reply with `code` (protocol/errors.h).
inline int ExitForError(std::string_view code) {
  if (code == "permission_denied") return kExitPermission;
  if (code == "config_error" || code == "bad_request") return kExitUsage;
  return kExitFailed;
}

inline int Worst(int a, int b) { return a > b ? a : b; }

}  // namespace sup::ctl
