// Reaper: supd's ONLY caller of waitpid(-1). On SIGCHLD (a uv_signal_t) it drains every
// finished child and hands each (pid, status) to the callback registered for that pid, or to
// the orphan callback for pids nobody registered (adopted orphans as PID 1 or subreaper).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <unordered_map>

#include "lifecycle/state.h"
#include "loop/signal_watcher.h"
#include "sup/base/result.h"

namespace sup::daemon {

// A waitpid status as an ExitStatus (lifecycle/state.h): code, or signal and core dump.
ExitStatus ExitStatusFromWait(int wait_status);

class Reaper {
 public:
  using ExitFn = std::function<void(ExitStatus)>;
  using OrphanFn = std::function<void(pid_t, ExitStatus)>;

  explicit Reaper(uv_loop_t& loop);
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Starts watching SIGCHLD and drains once (children that ended before Start are not lost).
  Result<void> Start();
  void Stop();

  // `on_exit` runs once, on the loop thread, when `pid` is reaped; it is unregistered first,
  // so it may Watch/Unwatch freely (but must not destroy the Reaper). Register right after
  // Spawner::Spawn, before control returns to the loop. Re-watching a pid replaces.
  void Watch(pid_t pid, ExitFn on_exit);
  void Unwatch(pid_t pid);
  bool Watching(pid_t pid) const { return watched_.count(pid) != 0; }
  std::size_t watched_count() const { return watched_.size(); }

  // For reaped pids nobody watches; by default they are reaped and dropped.
  void SetOrphanHandler(OrphanFn fn) { orphan_fn_ = std::move(fn); }

  // waitpid(-1, WNOHANG) until nothing is left to reap; returns how many were reaped.
  int ReapNow();

 private:
  SignalWatcher sigchld_;
  std::unordered_map<pid_t, ExitFn> watched_;
  OrphanFn orphan_fn_;
};

// Makes supd the child subreaper of its descendants (PR_SET_CHILD_SUBREAPER), so their
// orphans reparent to it; a no-op as PID 1, which gets them anyway.
Result<void> BecomeSubreaper();

}  // namespace sup::daemon
