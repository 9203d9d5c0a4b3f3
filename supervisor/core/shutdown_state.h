// ShutdownState: what supd's graceful shutdown has to remember (SPEC §4 "Stopping", §7):
// when it began, the instances it had to stop, whether it was on_fatal's, whether anything
// took a SIGKILL, and supd's exit code that follows from those. The Supervisor drives the
// shutdown (core/supervisor_shutdown.cpp); this holds its facts and the exit-code rule.
#pragma once

#include <memory>
#include <vector>

#include "core/exit_codes.h"
#include "core/instance.h"
#include "core/process_runner.h"

namespace sup::daemon {

class ShutdownState {
 public:
  bool begun() const { return begun_; }
  bool done() const { return done_; }
  TimePoint began_at() const { return began_at_; }

  void Begin(TimePoint now) {
    begun_ = true;
    began_at_ = now;
  }
  // The instances that had a process when it began: their SIGKILLs count in ExitCode().
  void SetToStop(const std::vector<Instance*>& alive) { alive_at_begin_.assign(alive.begin(), alive.end()); }
  void MarkFatal() { fatal_ = true; }             // on_fatal = "shutdown" started it
  void MarkKilledAtTimeout() { killed_ = true; }  // shutdown_timeout or a second TERM
  void MarkDone() { done_ = true; }  // nothing has a process any more

  // SPEC §7: 3 after on_fatal, 1 when anything needed SIGKILL, else 0.
  int ExitCode() const {
    if (fatal_) return kExitFatal;
    if (killed_) return kExitKilled;
    for (const Instance* i : alive_at_begin_)
      if (i->fsm().status().sigkill_needed) return kExitKilled;
    return kExitOk;
  }

  // shutdown_timeout's timer: armed at Begin, stopped when done.
  std::unique_ptr<DeadlineTimer> timer;

 private:
  bool begun_ = false;
  bool done_ = false;
  bool fatal_ = false;
  bool killed_ = false;
  TimePoint began_at_{};
  std::vector<const Instance*> alive_at_begin_;
};

}  // namespace sup::daemon
