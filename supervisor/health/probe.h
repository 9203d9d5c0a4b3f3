// Probe: one health check in flight (exec, tcp or http). HealthChecker creates one per check,
// arms the timeout itself and destroys the probe when it is done or timed out; destroying a
// probe cancels whatever it still has in flight and guarantees no later callback.
#pragma once

#include <functional>
#include <string>

#include "sup/base/result.h"

namespace sup::daemon {

class Probe {
 public:
  // passed, and a short reason for a failure ("exit 1", "HTTP 503", "connect ...: ...").
  // It is the probe's last act: the receiver may destroy the probe inside the call.
  using DoneFn = std::function<void(bool passed, const std::string& detail)>;

  virtual ~Probe() = default;

  // Begins the check. An error means nothing is in flight and `done` will never run (the
  // caller reports the failure); otherwise `done` runs exactly once, later, on the loop
  // thread, unless the probe is destroyed first. Never calls `done` from inside Start.
  virtual Result<void> Start(DoneFn done) = 0;
};

}  // namespace sup::daemon
