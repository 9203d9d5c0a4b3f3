// After a crash of supd (SIGKILL, OOM killer) its programs are left running. The next supd with
// the same status segment finds them in the dead supd's segment and stops them before it starts
// anything, so that no program ever runs twice because supd was restarted (SPEC §9.1).
//
// This runs before supd's event loop exists, as one bounded wait: nothing else may happen until
// the old programs are gone (starting ours earlier would run them twice), supd serves no socket
// yet, and the wait sleeps in poll(2) on pidfds, so it costs no CPU. Pure of logging: the daemon
// logs what it returns.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "status/status_types.h"

namespace sup::daemon {

struct LeftProgram {
  std::string name;
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;  // the pid's start time when it was recorded
  int stop_signal = 15;
  bool kill_group = true;
  std::chrono::milliseconds stop_timeout{10'000};
};

// The instances of `snap` whose pid still runs with the recorded start time: a pid reused by an
// unrelated process, one without a recorded start time, supd itself, PID 1 are never chosen.
std::vector<LeftProgram> FindLeftPrograms(const Snapshot& snap);

struct LeftStopResult {
  std::vector<LeftProgram> killed;  // still there at their stop_timeout: SIGKILLed
  std::vector<LeftProgram> stuck;   // still there well after SIGKILL (uninterruptible sleep)
};

// Sends each its stop_signal (to its process group when kill_group), SIGKILLs what is left at
// its stop_timeout, and returns once all are gone or `after_kill` past the last SIGKILL.
// A process whose identity changed since FindLeftPrograms (it exited, its pid was reused) is
// left alone: each is pinned with a pidfd and checked against its start time before any signal.
LeftStopResult StopLeftPrograms(const std::vector<LeftProgram>& programs,
                                std::chrono::milliseconds after_kill = std::chrono::seconds(5));

}  // namespace sup::daemon
