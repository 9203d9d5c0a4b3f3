// The lifecycle table: every (state, event) pair of InstanceFsm is answered here, one
// switch over all seven states per event (the compiler's -Wswitch keeps each complete),
// as s6-supervise's actions[state][event]. The shared steps live in instance_fsm_steps.cpp.
//
//              start/restart   stop            exit (main)        timer
//   STOPPED    -> STARTING     no-op           -                  -
//   STARTING   no-op | restart stop, or        completion ->      start_seconds -> RUNNING
//              = stop+start    STOPPED if      EXITED, else       start_timeout -> STOPPING
//                              still waiting   failed start       (then failed start)
//   RUNNING    no-op | restart -> STOPPING      per `restart`      watchdog -> STOPPING
//              = stop+start                    (start_limit)      (then death by signal)
//   BACKOFF    spawn now       -> STOPPED      -                  -> STARTING (retry)
//   STOPPING   queued start    no-op           -> STOPPED, or     SIGKILL
//                                              the planned step
//   EXITED     -> STARTING     -> STOPPED      -                  -
//   FATAL      -> STARTING     -> STOPPED      -                  -
#include "lifecycle/instance_fsm.h"

#include <signal.h>

#include <algorithm>
#include <utility>

namespace sup::daemon {

InstanceFsm::InstanceFsm(ProgramSpecView spec, UnitRandom unit_random)
    : spec_(std::move(spec)), unit_random_(std::move(unit_random)) {}

InstanceFsm::InstanceFsm(conf::ProgramSpec spec, UnitRandom unit_random)
    : InstanceFsm(std::make_shared<const conf::ProgramSpec>(std::move(spec)),
                  std::move(unit_random)) {}

void InstanceFsm::UpdateSpec(ProgramSpecView spec) { spec_ = std::move(spec); }

void InstanceFsm::UpdateSpec(conf::ProgramSpec spec) {
  UpdateSpec(std::make_shared<const conf::ProgramSpec>(std::move(spec)));
}

bool InstanceFsm::completed() const { return state() == State::kExited && IsSuccess(last_exit_); }
bool InstanceFsm::failed() const { return state() == State::kExited && !IsSuccess(last_exit_); }

Effects InstanceFsm::OnStart(TimePoint) {
  Effects out;
  if (shutting_down_) return out;
  switch (state()) {
    case State::kStarting:
    case State::kRunning:  // "already running": success, nothing changes
      status_.wanted_up = true;
      break;
    case State::kStopping:  // queued: starts once STOPPED
      status_.wanted_up = true;
      ResetForOperatorStart();
      after_stop_ = AfterStop::kStart;
      break;
    case State::kStopped:
    case State::kBackoff:  // cancels the delay: BeginStart disarms the timer
    case State::kExited: case State::kFatal:
      status_.wanted_up = true;
      ResetForOperatorStart();
      BeginStart("start requested", out);
      break;
  }
  return out;
}

Effects InstanceFsm::OnStop(TimePoint now) {
  Effects out;
  status_.wanted_up = false;
  switch (state()) {
    case State::kStopped:
      break;
    case State::kStarting:
      if (status_.waiting_for_dependencies) {
        Transition(State::kStopped, "stop requested", out);
      } else {
        BeginStop(AfterStop::kStopped, "stop requested", now, out);
      }
      break;
    case State::kRunning:
      BeginStop(AfterStop::kStopped, "stop requested", now, out);
      break;
    case State::kStopping:  // deadline unchanged; a queued start or planned restart is dropped
      after_stop_ = AfterStop::kStopped;
      break;
    case State::kBackoff:
      Disarm(out);
      Transition(State::kStopped, "stop requested", out);
      break;
    case State::kExited:
    case State::kFatal:  // the reason stays in error and the exit history
      Transition(State::kStopped, "stop requested", out);
      break;
  }
  return out;
}

Effects InstanceFsm::OnRestart(TimePoint now) {
  Effects out;
  if (shutting_down_) return out;
  switch (state()) {
    case State::kStarting:
      status_.wanted_up = true;
      if (status_.waiting_for_dependencies) break;  // no-op: it has not started yet
      ResetForOperatorStart();
      BeginStop(AfterStop::kStart, "restart requested", now, out);
      break;
    case State::kRunning:
      status_.wanted_up = true;
      ResetForOperatorStart();
      BeginStop(AfterStop::kStart, "restart requested", now, out);
      break;
    case State::kStopped: case State::kBackoff:
    case State::kStopping: case State::kExited:
    case State::kFatal:
      return OnStart(now);
  }
  return out;
}

Effects InstanceFsm::OnDependenciesMet(TimePoint) {
  Effects out;
  switch (state()) {
    case State::kStarting:
      if (!status_.waiting_for_dependencies) break;
      status_.waiting_for_dependencies = false;
      spawn_pending_ = true;
      out.push_back(effect::Spawn());
      break;
    case State::kStopped: case State::kRunning:
    case State::kBackoff: case State::kStopping:
    case State::kExited: case State::kFatal:
      break;  // a late answer to a check that no longer matters
  }
  return out;
}

Effects InstanceFsm::OnDependencyFailed(const std::string& reason, TimePoint) {
  Effects out;
  switch (state()) {
    case State::kStarting:
      if (!status_.waiting_for_dependencies) break;
      status_.waiting_for_dependencies = false;
      EnterFatal(reason, out);
      break;
    case State::kStopped:
    case State::kRunning:  // conditions are checked only before a start
    case State::kBackoff: case State::kStopping:
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnSpawned(pid_t pid, TimePoint now) {
  Effects out;
  if (!spawn_pending_) return out;
  spawn_pending_ = false;
  status_.pid = pid;
  status_.start_time = now;
  status_.ready = false;
  status_.health = Health::kUnknown;
  reloading_ = false;
  switch (state()) {
    case State::kStarting:
      if (one_shot()) {
        BecomeRunning("started (one-shot)", now, out);
      } else if (spec_->ready == conf::ReadyMode::kStarted) {
        if (spec_->start_seconds.count() <= 0) {
          BecomeRunning("started", now, out);
        } else {
          Arm(TimerPurpose::kStartSeconds, spec_->start_seconds, now, out);
        }
      } else if (spec_->start_timeout.count() > 0) {
        Arm(TimerPurpose::kStartTimeout, spec_->start_timeout, now, out);
      }
      break;
    case State::kStopping:  // stopped while the spawn was under way: signal it now
      out.push_back(effect::Kill(spec_->stop_signal, spec_->kill_group));
      stop_signalled_ = true;
      Arm(TimerPurpose::kStopTimeout, spec_->stop_timeout, now, out);
      break;
    case State::kStopped: case State::kRunning:
    case State::kBackoff: case State::kExited:
    case State::kFatal:
      break;  // unreachable: spawn_pending_ is set only in STARTING and kept into STOPPING
  }
  return out;
}

Effects InstanceFsm::OnSpawnFailed(const std::string& error_text, TimePoint now) {
  Effects out;
  if (!spawn_pending_) return out;
  spawn_pending_ = false;
  switch (state()) {
    case State::kStarting:
      FailedStart(error_text, now, out);
      break;
    case State::kStopping:
      FinishStop(now, out);
      break;
    case State::kStopped: case State::kRunning:
    case State::kBackoff: case State::kExited:
    case State::kFatal:
      break;  // unreachable, as in OnSpawned
  }
  return out;
}

Effects InstanceFsm::OnExited(ExitStatus status, TimePoint now, bool group_alive,
                              const std::string& reason) {
  Effects out;
  if (status_.pid == 0) return out;  // not our main process (or reported twice)
  const bool restarting = state() == State::kStopping && after_stop_ == AfterStop::kRestartAsSignal;
  status_.exits.Add(ExitRecord{status, now - status_.start_time, now,
                               !reason.empty() ? reason : restarting ? stop_reason_ : std::string()});
  last_exit_ = status;
  status_.pid = 0;
  if (!(group_alive && spec_->kill_group)) {
    HandleExit(now, out);
    return out;
  }
  // The exit is recorded; the instance keeps its state until the group is empty.
  status_.group_draining = true;
  switch (state()) {
    case State::kStopping:
      if (stop_signalled_ || status_.sigkill_needed) break;  // the group was already signalled
      [[fallthrough]];
    case State::kStarting: case State::kRunning:
      out.push_back(effect::Kill(spec_->stop_signal, true));
      stop_signalled_ = true;
      Arm(TimerPurpose::kStopTimeout, spec_->stop_timeout, now, out);
      if (SetReady(false)) out.push_back(effect::StatusChanged());
      break;
    case State::kStopped: case State::kBackoff:
    case State::kExited: case State::kFatal:
      break;  // unreachable: pid != 0 only in STARTING, RUNNING and STOPPING
  }
  return out;
}

Effects InstanceFsm::OnGroupEmpty(TimePoint now) {
  Effects out;
  if (!status_.group_draining) return out;
  status_.group_draining = false;
  HandleExit(now, out);
  return out;
}

Effects InstanceFsm::OnTimer(TimePoint now) {
  Effects out;
  if (timer_ == TimerPurpose::kNone) return out;
  // Loop timers have millisecond resolution and a cached "now": a fire up to 1ms early is due.
  if (now + std::chrono::milliseconds(1) < status_.timer_deadline) {
    out.push_back(effect::ArmTimer(status_.timer_deadline - now));
    return out;
  }
  const TimerPurpose purpose = std::exchange(timer_, TimerPurpose::kNone);
  if (purpose == TimerPurpose::kStopTimeout) {  // a stop or a group drain, in any state
    out.push_back(effect::Kill(SIGKILL, spec_->kill_group || status_.group_draining));
    status_.sigkill_needed = true;
    stop_signalled_ = false;
    return out;
  }
  switch (state()) {
    case State::kStarting:
      if (purpose == TimerPurpose::kStartSeconds) {
        BecomeRunning("started", now, out);
      } else if (purpose == TimerPurpose::kStartTimeout) {
        BeginStop(AfterStop::kFailedStart,
                  "start timeout: not ready within " + FormatDuration(spec_->start_timeout), now,
                  out);
      }
      break;
    case State::kRunning:
      if (purpose == TimerPurpose::kWatchdog) {
        BeginStop(AfterStop::kRestartAsSignal,
                  "watchdog timeout: no ping in " + FormatDuration(*spec_->watchdog), now, out);
      }
      break;
    case State::kBackoff:
      if (purpose != TimerPurpose::kBackoff) break;
      ++status_.restarts;
      BeginStart(status_.consecutive_failures > 0
                     ? "retry " + std::to_string(status_.consecutive_failures) + " of " +
                           std::to_string(spec_->start_retries)
                     : "restarting",
                 out);
      break;
    case State::kStopped:
    case State::kStopping:  // only the stop timeout runs here, handled above
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnReady(TimePoint now) {
  Effects out;
  if (status_.pid == 0) return out;
  switch (state()) {
    case State::kStarting:
      reloading_ = false;
      if (spec_->ready == conf::ReadyMode::kNotify && !spawn_pending_) {
        BecomeRunning("ready: READY=1", now, out);
      }
      break;
    case State::kRunning: {
      // The end of a RELOADING=1 in any mode; the first READY=1 of a notify one-shot.
      const bool becomes_ready =
          std::exchange(reloading_, false) || spec_->ready == conf::ReadyMode::kNotify;
      if (becomes_ready && SetReady(true)) out.push_back(effect::StatusChanged());
      break;
    }
    case State::kStopped: case State::kBackoff:
    case State::kStopping: case State::kExited:
    case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnReloading(TimePoint) {
  Effects out;
  switch (state()) {
    case State::kRunning:
      if (status_.pid == 0) break;
      reloading_ = true;
      if (SetReady(false)) out.push_back(effect::StatusChanged());
      break;
    case State::kStopped:
    case State::kStarting:  // not ready yet anyway
    case State::kBackoff: case State::kStopping:
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnWatchdogPing(TimePoint now) {
  Effects out;
  switch (state()) {
    case State::kRunning:
      if (timer_ == TimerPurpose::kWatchdog) Arm(TimerPurpose::kWatchdog, *spec_->watchdog, now, out);
      break;
    case State::kStopped:
    case State::kStarting:  // the watchdog clock starts at RUNNING
    case State::kBackoff: case State::kStopping:
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnWatchdogTrigger(TimePoint now) {
  Effects out;
  switch (state()) {
    case State::kRunning:
      if (status_.pid == 0 || shutting_down_) break;
      BeginStop(AfterStop::kRestartAsSignal, "watchdog triggered (WATCHDOG=trigger)", now, out);
      break;
    case State::kStopped: case State::kStarting:
    case State::kBackoff: case State::kStopping:
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnMemoryExceeded(const std::string& reason, TimePoint now) {
  Effects out;
  if (state() == State::kRunning && status_.pid > 0 && !shutting_down_)
    BeginStop(AfterStop::kRestartAsSignal, reason, now, out);
  return out;
}

Effects InstanceFsm::OnExtendTimeout(std::uint64_t usec, TimePoint now) {
  Effects out;
  const auto extended = now + std::chrono::microseconds(usec);
  switch (state()) {
    case State::kStarting:
    case State::kStopping:  // as systemd: a slow stop may ask for more time too
      if ((timer_ == TimerPurpose::kStartTimeout ||
           (timer_ == TimerPurpose::kStopTimeout && !status_.group_draining)) &&
          extended > status_.timer_deadline) {
        Arm(timer_, extended - now, now, out);
      }
      break;
    case State::kStopped: case State::kRunning:
    case State::kBackoff: case State::kExited:
    case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnHealthy(TimePoint now) {
  Effects out;
  if (status_.pid == 0) return out;
  switch (state()) {
    case State::kStarting:
      if (spec_->ready == conf::ReadyMode::kHealth) {
        status_.health = Health::kHealthy;
        BecomeRunning("ready: health check passed", now, out);
      } else if (SetHealth(Health::kHealthy)) {
        out.push_back(effect::StatusChanged());
      }
      break;
    case State::kRunning: {
      bool changed = SetHealth(Health::kHealthy);
      if (spec_->ready == conf::ReadyMode::kHealth && !reloading_) changed |= SetReady(true);
      if (changed) out.push_back(effect::StatusChanged());
      break;
    }
    case State::kStopping:
      if (SetHealth(Health::kHealthy)) out.push_back(effect::StatusChanged());
      break;
    case State::kStopped: case State::kBackoff:
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnUnhealthy(TimePoint now) {
  Effects out;
  if (status_.pid == 0) return out;
  const bool changed = SetHealth(Health::kUnhealthy);
  switch (state()) {
    case State::kRunning:
      if (spec_->health.on_unhealthy == conf::OnUnhealthy::kRestart && !shutting_down_) {
        BeginStop(AfterStop::kRestartAsSignal,
                  "unhealthy: " + std::to_string(spec_->health.retries) + " failed checks", now,
                  out);
        break;
      }
      [[fallthrough]];
    case State::kStarting:  // before RUNNING only start_timeout judges the start
    case State::kStopping:
      if (changed) out.push_back(effect::StatusChanged());
      break;
    case State::kStopped: case State::kBackoff:
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

Effects InstanceFsm::OnShutdown(TimePoint) {
  Effects out;
  if (std::exchange(shutting_down_, true)) return out;
  switch (state()) {
    case State::kStarting:
      if (status_.waiting_for_dependencies) Transition(State::kStopped, "shutting down", out);
      break;
    case State::kBackoff:
      Disarm(out);
      Transition(State::kStopped, "shutting down", out);
      break;
    case State::kStopping:  // a queued start or planned restart will not happen
      after_stop_ = AfterStop::kStopped;
      break;
    case State::kStopped:
    case State::kRunning:  // the driver stops it when its wave comes (OnStop)
    case State::kExited: case State::kFatal:
      break;
  }
  return out;
}

}  // namespace sup::daemon
