// What /proc/<pid>/stat says that crash recovery needs. A process's start time tells a live
// process from a later one that reuses its pid: field 22 (clock ticks since boot). It is
// recorded in the status segment so that the next supd after a crash stops only the processes
// the dead supd really started.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace sup::daemon {

// Field 22 of a /proc/<pid>/stat line; nullopt when the line is malformed. The command name
// (field 2) may hold spaces and ')': parsing starts after its last ')'. Pure.
std::optional<std::uint64_t> ParseStartTicks(std::string_view stat_line);

// The start time of `pid`, nullopt when it is gone (or /proc is unreadable).
std::optional<std::uint64_t> ProcStartTicks(pid_t pid);

// Whether the process recorded as `pid` started at `start_ticks` is gone: no such pid, or the
// pid now has another start time (reused). `start_ticks` 0 (unknown) checks the pid alone.
bool ProcessGone(pid_t pid, std::uint64_t start_ticks);

// Whether process group `pgid` has a member that is not a zombie (a /proc scan, done only when
// kill(-pgid, 0) says the group exists: zombies still count there).
bool GroupHasLiveMember(pid_t pgid);

}  // namespace sup::daemon
