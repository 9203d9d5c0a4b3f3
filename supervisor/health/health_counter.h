// HealthCounter: turns a stream of probe results into health transitions (SPEC §3 health):
// failures within `start_period` of Start don't count, `retries` consecutive failures make
// the instance unhealthy (reported once per streak), a pass makes it healthy (on change).
// Pure: no libuv, no clock (time is passed in). One per instance, owned by its driver.
#pragma once

#include "lifecycle/state.h"
#include "sup/conf/config.h"

namespace sup::daemon {

enum class HealthVerdict {
  kNone,       // nothing changed
  kHealthy,    // now healthy (first pass, or first pass after being unhealthy): InstanceFsm::OnHealthy
  kUnhealthy,  // `retries` consecutive counted failures: InstanceFsm::OnUnhealthy
};

class HealthCounter {
 public:
  explicit HealthCounter(const conf::HealthSpec& spec);

  // A new run of checks (the process was (re)spawned): health unknown, the start period
  // begins at `now`, the failure streak is empty.
  void Start(TimePoint now);
  // Reload: new retries / start_period apply from the next result; the streak is kept.
  void UpdateSpec(const conf::HealthSpec& spec);

  HealthVerdict OnProbeResult(bool passed, TimePoint now);

  Health health() const { return health_; }
  int consecutive_failures() const { return failures_; }  // counted ones only
  bool in_start_period(TimePoint now) const;

 private:
  int retries_ = 3;  // at least 1
  Clock::duration start_period_{};
  TimePoint started_{};
  bool passed_once_ = false;  // a pass ends the start period early (as Docker's does)
  int failures_ = 0;
  Health health_ = Health::kUnknown;
};

}  // namespace sup::daemon
