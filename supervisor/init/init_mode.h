// Init mode: `supd [--group] [--stop-timeout D] -- COMMAND [ARG...]` (SPEC §2, the tini use
// case). One child, every signal forwarded, every orphan reaped, leftovers ended, and the
// child's status as supd's exit code. No config, socket, status segment or event loop.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "child/inherited_signals.h"
#include "shutdown/leftovers.h"

namespace sup::daemon {

struct InitOptions {
  std::vector<std::string> argv;  // COMMAND [ARG...]; argv[0] is looked up in PATH
  bool group = false;             // forward signals to the child's process group
  std::chrono::milliseconds stop_timeout{10000};  // grace for leftovers after the child exits
  InheritedSignals signals = InheritedSignals::None();  // the child's mask and ignored signals
};

// The whole of init mode; returns supd's exit code: the child's code, 128+N if signal N
// killed it, 127/126 if COMMAND cannot be executed (the OS error is printed on stderr).
// Precondition (main's start-up): every signal blocked, fds 0-2 open. Signals stay blocked
// and are taken with sigwaitinfo(), so none is lost between fork and wait. Once the child has
// started, supd chdir("/")s: it keeps no directory busy (SPEC §9.6).
//
// Job control: with --group, TSTP, TTIN and TTOU sent to supd reach the child's group as
// SIGSTOP (a child that catches TSTP still stops, as with dumb-init); CONT continues it.
//
// Leftovers (SPEC §2): as PID 1 the whole namespace gets TERM (kill(-1)); otherwise supd is a
// child subreaper, so every descendant of the child that outlives it is either still below a
// living descendant or adopted by supd: a /proc walk of supd's descendants finds exactly
// them. (Killing the child's process group instead would miss those that called setsid.)
int RunInitMode(const InitOptions& opts);

}  // namespace sup::daemon
