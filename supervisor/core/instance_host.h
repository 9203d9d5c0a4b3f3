// What an Instance needs from the rest of supd: the OS services it drives (a ProcessRunner)
// and the Supervisor that reacts to its transitions. Implemented by the Supervisor; an
// interface so that Instance stays a thin driver with no knowledge of other instances.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lifecycle/state.h"

namespace sup::daemon {

class CounterPage;
class Instance;
class ProcessRunner;
namespace output {
class OutputHub;
}

class InstanceHost {
 public:
  virtual ~InstanceHost() = default;

  // Spawns, signals, exits, timers and the clock: the OS, or a test's fake of it.
  virtual ProcessRunner& runner() = 0;
  virtual output::OutputHub& output_hub() = 0;
  // A new counter page for an instance's first spawn (null when it cannot be made: the
  // worker then runs without counters, every agent call a no-op).
  virtual std::unique_ptr<CounterPage> NewCounterPage() = 0;
  // Uniform in [0, 1): the backoff jitter (one generator for the whole daemon).
  virtual double UnitRandom() = 0;

  // The child's final environment ("K=V"), and the fds to pass it (fd in supd, fd in child).
  virtual std::vector<std::string> ChildEnvironment(const Instance& instance) = 0;

  // Effects the Instance cannot perform alone. CheckDependencies and transitions are
  // answered later, in Settle(): never re-entering the instance from inside its own Apply.
  virtual void CheckDependencies(Instance& instance) = 0;
  virtual void OnTransition(Instance& instance, State from, State to,
                            const std::string& reason) = 0;
  virtual void OnStatusChanged(Instance& instance) = 0;
  virtual void OnFatalShutdown(Instance& instance, const std::string& reason) = 0;
  // Called by the Instance at the end of each event it received from the OS (timer, reap):
  // the supervisor-wide consequences (dependants, waiters, stop waves) are worked out here.
  virtual void Settle() = 0;
};

}  // namespace sup::daemon
