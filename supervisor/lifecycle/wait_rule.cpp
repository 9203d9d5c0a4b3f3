// supctl's waiting rules (wait_rule.h): one verdict per instance and target.
#include "lifecycle/wait_rule.h"

#include <algorithm>

namespace sup::daemon {

namespace {

std::string Until(TimePoint deadline, TimePoint now) {
  return FormatDuration(std::max(deadline - now, Clock::duration::zero()));
}

std::string DescribeStarting(const InstanceFsm& fsm, TimePoint now) {
  const InstanceStatus& s = fsm.status();
  if (s.waiting_for_dependencies) return "STARTING: waiting for dependencies";
  if (s.group_draining) return "STARTING: waiting for its process group to exit";
  if (s.pid == 0) return "STARTING: spawning";
  switch (fsm.spec().ready) {
    case conf::ReadyMode::kStarted:
      return "STARTING: must stay up " + FormatDuration(fsm.spec().start_seconds) + " (up " +
             FormatDuration(now - s.start_time) + ")";
    case conf::ReadyMode::kNotify: return "STARTING: waiting for READY=1";
    case conf::ReadyMode::kHealth: return "STARTING: waiting for a passing health check";
  }
  return "STARTING";
}

std::string DescribeRunning(const InstanceFsm& fsm) {
  const InstanceStatus& s = fsm.status();
  if (s.group_draining) return "RUNNING: main process exited, waiting for its process group";
  if (s.ready) return "RUNNING";
  if (fsm.spec().ready == conf::ReadyMode::kHealth && s.health != Health::kHealthy) {
    return "RUNNING: waiting for a passing health check";
  }
  return "RUNNING: waiting for READY=1";
}

bool ReadyOrCompleted(const InstanceFsm& fsm) {
  return (fsm.state() == State::kRunning && fsm.status().ready) || fsm.completed();
}

// Cannot reach RUNNING/ready/completed any more without an operator command.
bool StartImpossible(const InstanceFsm& fsm) {
  return fsm.state() == State::kFatal || fsm.failed();
}

}  // namespace

std::string DescribeActivity(const InstanceFsm& fsm, TimePoint now) {
  const InstanceStatus& s = fsm.status();
  switch (s.state) {
    case State::kStopped: return "STOPPED";
    case State::kStarting: return DescribeStarting(fsm, now);
    case State::kRunning: return DescribeRunning(fsm);
    case State::kBackoff:
      if (s.consecutive_failures > 0) {
        return "BACKOFF: retry " + std::to_string(s.consecutive_failures) + " in " +
               Until(s.timer_deadline, now);
      }
      return "BACKOFF: restart in " + Until(s.timer_deadline, now);
    case State::kStopping:
      if (s.sigkill_needed) return "STOPPING: SIGKILL sent, waiting for the exit";
      if (s.pid == 0 && !s.group_draining) return "STOPPING: spawning, to be stopped";
      return "STOPPING: waiting for the exit (SIGKILL in " + Until(s.timer_deadline, now) + ")";
    case State::kExited: {
      const std::string how = s.exits.empty() ? "" : " (" + s.exits.last().status.Describe() + ")";
      return fsm.completed() ? "EXITED: completed" + how : "EXITED: failed" + how;
    }
    case State::kFatal: return "FATAL: " + s.error;
  }
  return StateName(s.state);
}

WaitVerdict EvaluateWait(const InstanceFsm& fsm, WaitTarget target, TimePoint now) {
  const InstanceStatus& s = fsm.status();
  WaitVerdict verdict{WaitOutcome::kPending, DescribeActivity(fsm, now)};
  auto decide = [&](bool satisfied, bool impossible) {
    verdict.outcome = satisfied    ? WaitOutcome::kSatisfied
                      : impossible ? WaitOutcome::kImpossible
                                   : WaitOutcome::kPending;
  };
  switch (target) {
    case WaitTarget::kRunning:
      decide(s.state == State::kRunning || fsm.completed(), StartImpossible(fsm));
      break;
    case WaitTarget::kReady:
      decide(ReadyOrCompleted(fsm), StartImpossible(fsm));
      break;
    case WaitTarget::kHealthy: {
      const bool checked = fsm.spec().health.kind != conf::HealthKind::kNone;
      const bool healthy = !checked || s.health == Health::kHealthy;
      decide((ReadyOrCompleted(fsm) && (healthy || fsm.completed())), StartImpossible(fsm));
      if (verdict.outcome == WaitOutcome::kPending && s.state == State::kRunning && s.ready) {
        verdict.doing = std::string("RUNNING: health ") + HealthName(s.health);
      }
      break;
    }
    case WaitTarget::kStopped:
    case WaitTarget::kStopOutcome:
      decide(s.state == State::kStopped, false);
      break;
    case WaitTarget::kCompleted:
      decide(fsm.completed(), StartImpossible(fsm));
      break;
    case WaitTarget::kStartOutcome: {
      // Stopped meanwhile (by an operator or the shutdown): nothing will start it again.
      const bool abandoned =
          s.state == State::kStopped && (!s.wanted_up || fsm.shutting_down());
      decide(ReadyOrCompleted(fsm), StartImpossible(fsm) || abandoned);
      break;
    }
  }
  return verdict;
}

}  // namespace sup::daemon
