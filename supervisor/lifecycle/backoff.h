// Pacing of automatic (re)starts (SPEC §4): the jittered backoff delay and the start-limit
// window that stops a program crashing just after start_seconds from restarting forever.
#pragma once

#include <deque>

#include "lifecycle/state.h"
#include "sup/conf/config.h"

namespace sup::daemon {

// Delay before the next start. failures = consecutive failed starts n (>= 1) gives
// initial * factor^(n-1), capped at max; failures = 0 (a restart after an exit from
// RUNNING) gives initial. The result is then scaled by a factor uniform in
// [1 - jitter, 1 + jitter], drawn from unit_random in [0, 1).
Clock::duration BackoffDelay(const conf::Backoff& backoff, int failures, double unit_random);

// The automatic restarts granted after exits from RUNNING within the last interval.
class StartLimitWindow {
 public:
  // Grants and records one restart at `now`, or refuses when `burst` were already granted
  // within `interval` before now. burst = 0 grants everything and records nothing.
  bool TryRestart(const conf::StartLimit& limit, TimePoint now);
  void Clear() { granted_.clear(); }  // operator start/restart: the history is forgotten
  int count() const { return static_cast<int>(granted_.size()); }

 private:
  std::deque<TimePoint> granted_;
};

}  // namespace sup::daemon
