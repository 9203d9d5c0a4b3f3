// ProcessRunner: everything the Supervisor and its Instances ask of the OS, behind one
// interface (ninja's CommandRunner): fork/exec, signals, the exit of a watched pid, process
// groups, health probes, one-shot timers and the monotonic clock. OsProcessRunner
// (os_process_runner.h) is supd's; the core unit tests drive a fake one whose clock moves by
// hand and whose pids exit when the test says so (tests/supervisor/core/fake_runner.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "health/health_target.h"
#include "lifecycle/state.h"
#include "process/spawn_request.h"
#include "resources/usage_reads.h"
#include "sup/base/result.h"

namespace sup::daemon {

namespace resources {
class CgroupTree;
}

// A one-shot timer on the runner's clock. Start() re-arms (replacing the pending callback);
// destroying it cancels. The callback may Start/Stop or destroy the timer.
class DeadlineTimer {
 public:
  virtual ~DeadlineTimer() = default;
  virtual void Start(std::chrono::milliseconds after, std::function<void()> fn) = 0;
  virtual void Stop() = 0;
  virtual bool active() const = 0;
};

// An instance's health checks while they run; destroying it cancels the probe in flight.
class HealthProbes {
 public:
  virtual ~HealthProbes() = default;
  virtual void Stop() = 0;
};

class ProcessRunner {
 public:
  using ExitFn = std::function<void(ExitStatus)>;
  using ProbeFn = std::function<void(bool passed, const std::string& detail)>;

  virtual ~ProcessRunner() = default;

  virtual TimePoint Now() = 0;
  virtual std::unique_ptr<DeadlineTimer> NewTimer() = 0;

  // Starts a child (Spawner::Spawn's contract); Watch it before returning to the loop.
  virtual Result<SpawnedChild> Spawn(const SpawnRequest& request) = 0;
  // `on_exit` runs once when `pid` is reaped (Reaper::Watch's contract).
  virtual void Watch(pid_t pid, ExitFn on_exit) = 0;
  virtual void Unwatch(pid_t pid) = 0;
  // kill(pid) or kill(-pid) with to_group; ESRCH is an error like any other.
  virtual Result<void> Kill(pid_t pid, int signal, bool to_group) = 0;
  // Whether any process of group `pgid` is still alive.
  virtual bool GroupAlive(pid_t pgid) = 0;

  // Starts probing `target` (its first probe on the next loop iteration); each result goes to
  // `on_result`, which may destroy the returned handle.
  virtual std::unique_ptr<HealthProbes> StartHealthChecks(HealthTarget target,
                                                          ProbeFn on_result) = 0;

  // The cgroup v2 tree instances run in (SPEC §9.2); nullptr: process groups only.
  virtual const resources::CgroupTree* cgroups() const { return nullptr; }
  // Reads `probes` (SPEC §9.2) and calls `done` with one reading each, on the loop thread.
  // supd reads on libuv's thread pool (resources/usage_reads.h); this default reads at once.
  virtual void ReadUsage(resources::Probes probes, resources::ReadingsFn done) {
    done(resources::ReadNow(probes));
  }
  // How many descriptors the probes may hold open (null: none, each read opens its files).
  virtual std::shared_ptr<::sup::resources::FdBudget> probe_budget() { return nullptr; }
};

}  // namespace sup::daemon
