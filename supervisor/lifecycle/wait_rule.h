// supctl's waiting rules (SPEC §5), decided on the daemon side from one instance's FSM:
// does the instance satisfy a wait target, may it still, and what is it doing meanwhile.
#pragma once

#include <string>

#include "lifecycle/instance_fsm.h"

namespace sup::daemon {

enum class WaitTarget {
  kRunning,       // wait --for running (a completed one-shot counts)
  kReady,         // wait --for ready: RUNNING and ready, or EXITED completed
  kHealthy,       // wait --for healthy: as ready, and a passing check if one is configured
  kStopped,       // wait --for stopped
  kCompleted,     // wait --for completed: EXITED completed
  kStartOutcome,  // start/restart: as ready; wanted down (stopped meanwhile) is impossible
  kStopOutcome,   // stop: STOPPED (read status().sigkill_needed for "had to SIGKILL")
};

enum class WaitOutcome { kSatisfied, kPending, kImpossible };

struct WaitVerdict {
  WaitOutcome outcome = WaitOutcome::kPending;
  std::string doing;  // DescribeActivity(): "BACKOFF: retry 2 in 400ms"
};

WaitVerdict EvaluateWait(const InstanceFsm& fsm, WaitTarget target, TimePoint now);

// What the instance is doing, for supctl's timeout and impossibility messages:
// "STARTING: waiting for READY=1", "BACKOFF: retry 2 in 400ms", "FATAL: <error>".
std::string DescribeActivity(const InstanceFsm& fsm, TimePoint now);

}  // namespace sup::daemon
