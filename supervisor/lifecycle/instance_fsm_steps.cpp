// The steps InstanceFsm's events share: entering each state with its timer and effects,
// and what an exit means in each state. The table of events is instance_fsm.cpp.
#include <signal.h>

#include <algorithm>

#include "lifecycle/instance_fsm.h"

namespace sup::daemon {

void InstanceFsm::Transition(State to, const std::string& reason, Effects& out) {
  const State from = status_.state;
  status_.state = to;
  status_.waiting_for_dependencies = false;
  if (to != State::kRunning && to != State::kExited) status_.ready = false;
  if (to != State::kStarting && to != State::kRunning && to != State::kStopping) {
    status_.health = Health::kUnknown;
  }
  out.push_back(effect::Publish(from, to, reason));
}

void InstanceFsm::BeginStart(const std::string& reason, Effects& out) {
  Disarm(out);
  after_stop_ = AfterStop::kStopped;
  Transition(State::kStarting, reason, out);
  // Timers begin only once spawned: the driver answers OnDependenciesMet, maybe at once.
  status_.waiting_for_dependencies = true;
  out.push_back(effect::CheckDependencies());
}

void InstanceFsm::BeginStop(AfterStop after, const std::string& reason, TimePoint now,
                            Effects& out) {
  after_stop_ = after;
  stop_reason_ = reason;
  const bool group_signalled = status_.group_draining && (stop_signalled_ || status_.sigkill_needed);
  if (!group_signalled) status_.sigkill_needed = false;
  Transition(State::kStopping, reason, out);
  if (group_signalled || spawn_pending_) return;  // OnSpawned signals a pending spawn
  out.push_back(effect::Kill(spec_->stop_signal, spec_->kill_group));
  stop_signalled_ = true;
  Arm(TimerPurpose::kStopTimeout, spec_->stop_timeout, now, out);
}

void InstanceFsm::FinishStop(TimePoint now, Effects& out) {
  const AfterStop after = std::exchange(after_stop_, AfterStop::kStopped);
  stop_signalled_ = false;
  if (shutting_down_) {
    Transition(State::kStopped, "stopped", out);
    return;
  }
  switch (after) {
    case AfterStop::kStopped:
      Transition(State::kStopped, "stopped", out);
      break;
    case AfterStop::kStart:
      Transition(State::kStopped, "stopped", out);
      BeginStart("start requested", out);
      break;
    case AfterStop::kFailedStart:
      FailedStart(stop_reason_, now, out);
      break;
    case AfterStop::kRestartAsSignal:  // watchdog or unhealthy: a death by signal
      ExitFromRunning(ExitStatus::Signal(status_.sigkill_needed ? SIGKILL : spec_->stop_signal),
                      stop_reason_, now, out);
      break;
  }
}

void InstanceFsm::BecomeRunning(const std::string& reason, TimePoint now, Effects& out) {
  status_.consecutive_failures = 0;
  Transition(State::kRunning, reason, out);
  // A one-shot is RUNNING at exec; it is ready at once only for ready = "started".
  status_.ready = !one_shot() || spec_->ready == conf::ReadyMode::kStarted ||
                  (spec_->ready == conf::ReadyMode::kHealth && status_.health == Health::kHealthy);
  if (spec_->watchdog && spec_->watchdog->count() > 0) {
    Arm(TimerPurpose::kWatchdog, *spec_->watchdog, now, out);
  } else {
    Disarm(out);
  }
}

void InstanceFsm::FailedStart(const std::string& reason, TimePoint now, Effects& out) {
  Disarm(out);
  status_.pid = 0;
  ++status_.consecutive_failures;
  if (shutting_down_) {
    Transition(State::kStopped, reason, out);
    return;
  }
  const int failures = status_.consecutive_failures;
  if (failures > spec_->start_retries) {
    EnterFatal("failed to start " + std::to_string(failures) + " times: " + reason, out);
    return;
  }
  EnterBackoff(reason, BackoffDelay(spec_->backoff, failures, unit_random_()), now, out);
}

void InstanceFsm::EnterBackoff(const std::string& reason, Clock::duration delay, TimePoint now,
                               Effects& out) {
  status_.error = reason;
  Transition(State::kBackoff, reason, out);
  Arm(TimerPurpose::kBackoff, delay, now, out);
}

void InstanceFsm::EnterFatal(const std::string& reason, Effects& out) {
  Disarm(out);
  status_.error = reason;
  Transition(State::kFatal, reason, out);
  if (spec_->on_fatal == conf::OnFatal::kShutdown && !shutting_down_) {
    out.push_back(effect::FatalShutdown(reason));
  }
}

void InstanceFsm::EnterExited(const std::string& reason, Effects& out) {
  Disarm(out);
  const bool success = IsSuccess(last_exit_);
  Transition(State::kExited, (success ? "completed: " : "failed: ") + reason, out);
  status_.ready = success;  // a completed one-shot counts as ready
  if (!success && spec_->on_fatal == conf::OnFatal::kShutdown && !shutting_down_) {
    out.push_back(effect::FatalShutdown("failed: " + reason));
  }
}

void InstanceFsm::HandleExit(TimePoint now, Effects& out) {
  Disarm(out);
  switch (state()) {
    case State::kStarting:
      if (spec_->restart == conf::RestartPolicy::kOnFailure && IsSuccess(last_exit_)) {
        EnterExited(last_exit_.Describe(), out);  // a completion, not a failed start
      } else {
        FailedStart(last_exit_.Describe(), now, out);
      }
      break;
    case State::kRunning:
      ExitFromRunning(last_exit_, last_exit_.Describe(), now, out);
      break;
    case State::kStopping:  // whatever the code: never a failure, never on_fatal
      FinishStop(now, out);
      break;
    case State::kStopped:
    case State::kBackoff:
    case State::kExited:
    case State::kFatal:
      break;  // unreachable: no main process in these states
  }
}

void InstanceFsm::ExitFromRunning(ExitStatus status, const std::string& reason, TimePoint now,
                                  Effects& out) {
  Disarm(out);
  last_exit_ = status;
  if (shutting_down_ || one_shot() || !WantsRestart(status)) {
    EnterExited(reason, out);
    return;
  }
  if (!start_limit_.TryRestart(spec_->start_limit, now)) {
    EnterFatal("start limit hit: " + std::to_string(spec_->start_limit.burst) + " restarts in " +
                   FormatDuration(spec_->start_limit.interval),
               out);
    return;
  }
  status_.consecutive_failures = 0;
  EnterBackoff(reason, BackoffDelay(spec_->backoff, 0, unit_random_()), now, out);
}

void InstanceFsm::ResetForOperatorStart() {
  status_.consecutive_failures = 0;
  status_.error.clear();
  start_limit_.Clear();
}

void InstanceFsm::Arm(TimerPurpose purpose, Clock::duration delay, TimePoint now, Effects& out) {
  timer_ = purpose;
  status_.timer_deadline = now + delay;
  out.push_back(effect::ArmTimer(delay));
}

void InstanceFsm::Disarm(Effects& out) {
  if (timer_ == TimerPurpose::kNone) return;
  timer_ = TimerPurpose::kNone;
  out.push_back(effect::CancelTimer());
}

bool InstanceFsm::SetReady(bool ready) { return std::exchange(status_.ready, ready) != ready; }

bool InstanceFsm::SetHealth(Health health) {
  return std::exchange(status_.health, health) != health;
}

bool InstanceFsm::IsSuccess(const ExitStatus& status) const {
  return !status.by_signal() && std::find(spec_->exit_codes.begin(), spec_->exit_codes.end(),
                                          status.code) != spec_->exit_codes.end();
}

bool InstanceFsm::WantsRestart(const ExitStatus& status) const {
  switch (spec_->restart) {
    case conf::RestartPolicy::kAlways: return true;
    case conf::RestartPolicy::kOnFailure: return !IsSuccess(status);
    case conf::RestartPolicy::kNever: return false;
  }
  return false;
}

}  // namespace sup::daemon
