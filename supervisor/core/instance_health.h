// The health checks of one instance's process (SPEC §3 [program.X.health]): the probe runner
// while a process is alive, the counting of passes and failures into a verdict, and the last
// probe's text for `status`. The Instance feeds the verdicts to its FSM. Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/process_runner.h"
#include "health/health_counter.h"
#include "health/health_target.h"
#include "sup/conf/config.h"

namespace sup::daemon {

class InstanceHealth {
 public:
  // After every probe: the verdict it led to (kNone when it changed nothing) and its text.
  using OnProbed = std::function<void(HealthVerdict verdict, const std::string& detail)>;

  explicit InstanceHealth(const conf::HealthSpec& spec) : counter_(spec) {}

  bool configured(const conf::HealthSpec& spec) const {
    return spec.kind != conf::HealthKind::kNone;
  }
  // A process was spawned: probe it through `runner` from now on (verdicts on its clock).
  void Start(ProcessRunner& runner, HealthTarget target, OnProbed on_probed);
  // Its process is gone (or the check was removed): no more probes.
  void Stop();
  // Reload: a check that is no longer configured stops now; others apply at the next spawn.
  void UpdateSpec(const conf::HealthSpec& spec);

  const std::string& detail() const { return detail_; }
  // Whether probes were ever started (Stop keeps the last counts).
  bool probing() const { return probes_ != nullptr; }
  // Failed probes in a row so far (for "unhealthy 2/3" in `status`).
  int consecutive_failures() const { return counter_.consecutive_failures(); }

 private:
  std::unique_ptr<HealthProbes> probes_;  // while a process is alive, if a check is set
  HealthCounter counter_;
  std::string detail_;  // the last probe's result
};

}  // namespace sup::daemon
