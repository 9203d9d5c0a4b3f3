// Finding and ending the processes left over once the programs (or init mode's one child)
// are gone: as PID 1 every process of the PID namespace, otherwise this process's
// descendants (orphans adopted as a child subreaper, and their children).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <vector>

namespace sup::daemon {

bool IsPid1();

enum class SweepScope {
  kNamespace,    // PID 1: everything in the namespace but ourselves (kill(-1, sig))
  kDescendants,  // not PID 1: every process whose parent chain leads to us (/proc scan)
};

// Live (non-zombie) processes that are descendants of `root`, from /proc's ppid links.
// Racy by nature (processes fork and exit while we read): callers rescan until empty.
std::vector<pid_t> ListDescendants(pid_t root);

// Sends `signo` to every process left in `scope`; returns true when at least one was
// signalled. kNamespace uses kill(-1, sig), which no fork can race.
bool SignalLeftovers(SweepScope scope, int signo);

// Is any non-zombie process left in `scope`? Zombies do not count: reaping them is the
// caller's reaper's job. For kNamespace with a /proc that is not this namespace's
// (no --mount-proc), falls back to kill(-1, 0), which counts zombies too.
bool AnyLeftovers(SweepScope scope);

// Blocks until something may have exited or `max` elapsed, REAPING what exited (the caller
// owns the reaping: init mode's waitpid loop, or the daemon's Reaper run from its loop).
// Returns false to cut the grace period short (a second TERM): SIGKILL at once.
using WaitForExits = std::function<bool(std::chrono::milliseconds max)>;

// TERM everything left in `scope`, wait within `grace` for it to go, SIGKILL the rest and
// wait until nothing is left. Returns whether anything had to be SIGKILLed. Never reaps by
// itself; `wait` does. A daemon that cannot block in its loop calls the steps instead:
// SignalLeftovers(TERM), then AnyLeftovers() after each reap, and SignalLeftovers(KILL)
// when its own timer fires.
bool TerminateOrphans(SweepScope scope, std::chrono::milliseconds grace, const WaitForExits& wait);

}  // namespace sup::daemon
