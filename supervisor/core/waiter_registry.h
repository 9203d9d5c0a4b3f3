// WaiterRegistry: the Supervisor's waiting requests (start/stop/restart --wait, `wait`, a
// reload, supd's own readiness) and which instance each one watches. Each waiter is
// evaluated in full once when added, then only for the instances that changed (WatchIndex),
// so that a state change costs what it touches, not waiters × instances (SPEC §9.1
// "Connections"). Ended waiters and their watches are dropped a few milliseconds per loop
// iteration. Time and timers come from the ProcessRunner: the core tests drive them by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/process_runner.h"
#include "core/waiter.h"
#include "core/watch_index.h"

namespace sup::daemon {

class Instance;

class WaiterRegistry {
 public:
  explicit WaiterRegistry(ProcessRunner& runner) : runner_(runner) {}
  WaiterRegistry(const WaiterRegistry&) = delete;
  WaiterRegistry& operator=(const WaiterRegistry&) = delete;

  // Evaluates `waiter` now; keeps it, watching its undecided instances, unless it finished.
  void Add(std::unique_ptr<Waiter> waiter);
  // `instance` changed: its watches are re-evaluated by the next EvaluateChanged().
  void MarkChanged(const Instance& instance) { watches_.MarkChanged(&instance); }
  // Re-evaluates the waiter items whose instance changed since the last call.
  void EvaluateChanged();
  // Tells the waiters watching `instance` that it is going away (reload removed it).
  void ForgetInstance(const Instance& instance);

 private:
  // Waiters by id (ids grow in the order they were added), with the number of watches each
  // still has in watches_.
  struct Entry {
    std::unique_ptr<Waiter> waiter;
    std::size_t watches = 0;
  };

  // Whether a watch still waits for an outcome; forgets (counts) it otherwise.
  bool KeepWatch(const WatchIndex::Watch& watch);
  // Drops a finished waiter; its watches are swept later (WatchIndex::Released).
  void Drop(std::uint64_t id);
  // A waiter timed out or lost its client: dropped on the next loop iteration.
  void Ended(std::uint64_t id);
  void ScheduleSweep();
  // Drops ended waiters and sweeps dead watches, a few milliseconds per loop iteration.
  void Sweep();

  ProcessRunner& runner_;
  std::unordered_map<std::uint64_t, Entry> waiters_;
  std::uint64_t next_id_ = 0;
  WatchIndex watches_;
  std::vector<std::uint64_t> ended_;
  std::unique_ptr<DeadlineTimer> sweep_timer_;
};

}  // namespace sup::daemon
