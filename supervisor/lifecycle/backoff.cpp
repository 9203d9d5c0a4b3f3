// Backoff delay and start-limit window (backoff.h).
#include "lifecycle/backoff.h"

#include <algorithm>
#include <cmath>

namespace sup::daemon {

Clock::duration BackoffDelay(const conf::Backoff& backoff, int failures, double unit_random) {
  using Ms = std::chrono::duration<double, std::milli>;
  const double initial = Ms(backoff.initial).count();
  const double max = std::max(Ms(backoff.max).count(), 0.0);
  // Multiply step by step so a large n saturates at max instead of overflowing pow().
  double base = initial;
  for (int i = 1; i < failures && base < max; ++i) base *= backoff.factor;
  base = std::min(std::max(base, 0.0), max);
  const double jitter = std::clamp(backoff.jitter, 0.0, 1.0);
  const double u = std::clamp(unit_random, 0.0, 1.0);
  const double scaled = base * (1.0 - jitter + 2.0 * jitter * u);
  return std::chrono::duration_cast<Clock::duration>(Ms(std::max(scaled, 0.0)));
}

bool StartLimitWindow::TryRestart(const conf::StartLimit& limit, TimePoint now) {
  if (limit.burst <= 0) return true;
  while (!granted_.empty() && granted_.front() <= now - limit.interval) granted_.pop_front();
  if (static_cast<int>(granted_.size()) >= limit.burst) return false;
  granted_.push_back(now);
  return true;
}

}  // namespace sup::daemon
