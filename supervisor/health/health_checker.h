// HealthChecker: runs one instance's health probe on its schedule (SPEC §3 health): the first
// probe at once, the next `interval` after the previous one finished; a probe still running
// at `timeout` is cut (an exec probe's group gets SIGKILL) and counts as a failure.
// Loop thread only. Owned by the instance's driver, never by itself.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "health/health_target.h"
#include "health/probe.h"
#include "loop/timer.h"
#include "process/reaper.h"
#include "process/spawner.h"

namespace sup::daemon {

class HealthChecker {
 public:
  // After each probe: passed, and a short detail ("exit 0", "HTTP 200", "connected to
  // 127.0.0.1:8080" for a pass; "exit 1: <last output line>", "HTTP 503", "connect
  // 127.0.0.1:8080: Connection refused", "timed out after 1s" for a failure). It may call
  // Stop/Update or destroy this checker. Feed it to a HealthCounter for transitions.
  using ResultFn = std::function<void(bool passed, const std::string& detail)>;

  // `loop`, `spawner` and `reaper` must outlive this checker.
  HealthChecker(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper, HealthTarget target,
                ResultFn on_result);
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;
  ~HealthChecker();  // Stop()

  // Schedules the first probe on the next loop iteration (never calls back from inside).
  // No-op when running or when the target's kind is kNone.
  void Start();
  // Cancels the timers and the probe in flight (its process group is SIGKILLed, its sockets
  // closed); no result is reported after it. Safe to call twice.
  void Stop();
  // Reload: the new target applies from the next probe; a probe in flight keeps the old
  // target and timeout. A target of kind kNone stops the checks after the current probe.
  void Update(HealthTarget target);

  bool running() const { return running_; }
  bool probing() const { return probe_ != nullptr; }
  const HealthTarget& target() const { return target_; }

 private:
  void RunProbe();
  Result<std::unique_ptr<Probe>> MakeProbe() const;
  void Finish(bool passed, std::string detail);

  uv_loop_t& loop_;
  const Spawner& spawner_;
  Reaper& reaper_;
  HealthTarget target_;
  ResultFn on_result_;
  bool running_ = false;
  Timer interval_;
  Timer timeout_;
  std::unique_ptr<Probe> probe_;  // declared last: destroyed first, before the timers
};

}  // namespace sup::daemon
