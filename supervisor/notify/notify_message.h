// One sd_notify datagram, parsed: the pure half of the notify listener. Knows systemd's keys
// (READY, RELOADING, STOPPING, STATUS, WATCHDOG, EXTEND_TIMEOUT_USEC, MAINPID, ERRNO, BARRIER);
// everything else is ignored, as systemd does.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sup::daemon {

// STATUS= text kept per message (SPEC §6); longer texts are cut at a UTF-8 boundary.
constexpr std::size_t kMaxNotifyStatus = 256;

struct NotifyMessage {
  // Sender credentials from SCM_CREDENTIALS, filled by the listener (pid 0: unknown).
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;

  bool ready = false;             // READY=1
  bool reloading = false;         // RELOADING=1: not ready until the next READY=1
  bool stopping = false;          // STOPPING=1
  std::optional<std::string> status;  // STATUS=...
  bool watchdog_ping = false;     // WATCHDOG=1
  bool watchdog_trigger = false;  // WATCHDOG=trigger
  std::optional<std::uint64_t> extend_timeout_usec;  // EXTEND_TIMEOUT_USEC=
  std::optional<pid_t> main_pid;  // MAINPID= (the owner checks who may say it)
  std::optional<int> error;       // ERRNO=
  bool barrier = false;           // BARRIER=1 (its fd is closed by the listener)
  int fds = 0;                    // descriptors that came with it, all closed by the listener

  bool operator==(const NotifyMessage&) const = default;
};

// Parses "KEY=VALUE\n..." (the last assignment of a key wins; malformed values are ignored).
// nullopt when the payload holds a NUL byte: systemd refuses those, so does sup.
std::optional<NotifyMessage> ParseNotify(std::string_view payload);

}  // namespace sup::daemon
