#include "health/health_counter.h"

#include <algorithm>

namespace sup::daemon {

HealthCounter::HealthCounter(const conf::HealthSpec& spec) { UpdateSpec(spec); }

void HealthCounter::Start(TimePoint now) {
  started_ = now;
  passed_once_ = false;
  failures_ = 0;
  health_ = Health::kUnknown;
}

void HealthCounter::UpdateSpec(const conf::HealthSpec& spec) {
  retries_ = std::max(1, spec.retries);
  start_period_ = spec.start_period;
}

bool HealthCounter::in_start_period(TimePoint now) const {
  return !passed_once_ && now < started_ + start_period_;
}

HealthVerdict HealthCounter::OnProbeResult(bool passed, TimePoint now) {
  if (passed) {
    passed_once_ = true;
    failures_ = 0;
    if (health_ == Health::kHealthy) return HealthVerdict::kNone;
    health_ = Health::kHealthy;
    return HealthVerdict::kHealthy;
  }
  if (in_start_period(now)) return HealthVerdict::kNone;
  ++failures_;
  if (failures_ < retries_ || health_ == Health::kUnhealthy) return HealthVerdict::kNone;
  health_ = Health::kUnhealthy;
  return HealthVerdict::kUnhealthy;
}

}  // namespace sup::daemon
