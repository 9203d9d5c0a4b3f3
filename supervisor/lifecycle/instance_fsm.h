// InstanceFsm: decides one instance's fate (SPEC §4). Pure: no syscalls, libuv, clock reads
// or randomness of its own; time comes in with each event, jitter from an injected source.
// Every input returns the Effects its driver (core/Instance) must perform, in order.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lifecycle/backoff.h"
#include "lifecycle/effect.h"
#include "lifecycle/exit_history.h"
#include "lifecycle/state.h"
#include "sup/conf/config.h"

namespace sup::daemon {

// What `supctl status` shows of an instance. waiting_for (dependency names) and status_text
// (STATUS=) are the driver's; wall-clock times are added by the driver too.
struct InstanceStatus {
  State state = State::kStopped;
  bool wanted_up = false;
  bool ready = false;  // also true for EXITED completed (a finished one-shot counts as ready)
  Health health = Health::kUnknown;
  pid_t pid = 0;                     // 0 when no main process is alive
  TimePoint start_time{};            // of the current (or last) spawn
  int restarts = 0;                  // automatic respawns (after backoff); operator commands not
  int consecutive_failures = 0;      // n: failed starts in a row, reset once RUNNING
  ExitHistory exits;
  std::string error;                 // why it went FATAL or BACKOFF; cleared by start/restart
  bool sigkill_needed = false;       // the last stop or group drain had to escalate to SIGKILL
  bool waiting_for_dependencies = false;  // STARTING, not spawned yet, no timer running
  bool group_draining = false;       // main process gone, its process group still alive
  TimePoint timer_deadline{};        // when the armed timer fires (BACKOFF retry, stop, ...)
};

// A program's spec inside one immutable config snapshot: an aliasing shared_ptr that keeps
// the whole snapshot alive, so whoever holds a view (an instance that reload retired, its
// FSM) reads the config it was made from, and nobody holds a copy that a reload could miss.
using ProgramSpecView = std::shared_ptr<const conf::ProgramSpec>;

class InstanceFsm {
 public:
  // Returns a uniform double in [0, 1); must stay callable for the FSM's lifetime.
  using UnitRandom = std::function<double()>;

  InstanceFsm(ProgramSpecView spec, UnitRandom unit_random);
  // A spec of its own (tests): as above, the FSM then holds the only view.
  InstanceFsm(conf::ProgramSpec spec, UnitRandom unit_random);

  // Operator commands (and autostart / reload start), per SPEC §4 "Commands by state".
  // start/restart mark the instance wanted up, stop wanted down. After OnShutdown,
  // start and restart are ignored (supd refuses them with shutting_down).
  Effects OnStart(TimePoint now);
  Effects OnStop(TimePoint now);
  Effects OnRestart(TimePoint now);

  // Answers to kCheckDependencies, at once (even from inside the Apply loop) or later when
  // a dependency changes. Every spawn, backoff retries included, is preceded by a check.
  // reason: "dependency migrate failed: exit 3" (ExitStatus::Brief() gives "exit 3").
  Effects OnDependenciesMet(TimePoint now);
  Effects OnDependencyFailed(const std::string& reason, TimePoint now);

  // Answers to kSpawn; no other input is expected in between, but a stop is honoured.
  // error_text is the OS error: "exec /usr/bin/nope: No such file ...".
  Effects OnSpawned(pid_t pid, TimePoint now);
  Effects OnSpawnFailed(const std::string& error_text, TimePoint now);

  // The main process was reaped (after its pipes were drained). group_alive: other members
  // of its process group are still alive (only read when kill_group = true). Then the exit
  // is recorded at once, the group gets stop_signal (SIGKILL after stop_timeout), and the
  // state is left only when the driver reports OnGroupEmpty.
  // `reason`: why it died when supd knows better than the status (an OOM kill in its cgroup).
  Effects OnExited(ExitStatus status, TimePoint now, bool group_alive = false,
                   const std::string& reason = "");
  Effects OnGroupEmpty(TimePoint now);

  // The one timer armed by kArmTimer fired. An early fire re-arms for the remainder.
  Effects OnTimer(TimePoint now);

  // sd_notify and health. OnReady is READY=1: the ready condition for ready = "notify",
  // and the end of a RELOADING=1 in any mode. OnHealthy is a passing check (the ready
  // condition for ready = "health"); OnUnhealthy comes after `retries` failed checks.
  Effects OnReady(TimePoint now);
  Effects OnReloading(TimePoint now);
  Effects OnWatchdogPing(TimePoint now);     // WATCHDOG=1 or an agent heartbeat
  Effects OnWatchdogTrigger(TimePoint now);  // WATCHDOG=trigger: as a watchdog expiry
  // memory_max exceeded (supd's sampling, SPEC §9.2): a RUNNING instance is restarted as
  // after a crash; `reason` ("memory limit 512MiB exceeded (used 530MiB)") is the transition's,
  // the exit record's and the error's.
  Effects OnMemoryExceeded(const std::string& reason, TimePoint now);
  Effects OnExtendTimeout(std::uint64_t usec, TimePoint now);  // EXTEND_TIMEOUT_USEC
  Effects OnHealthy(TimePoint now);
  Effects OnUnhealthy(TimePoint now);

  // supd began a graceful shutdown. This only sets the flag and cancels pending starts:
  // BACKOFF and waiting-for-dependencies go STOPPED at once, a queued start is dropped.
  // Live processes are left alone: the driver calls OnStop when the instance's stop wave
  // comes. From now on nothing is started or restarted and on_fatal never fires.
  Effects OnShutdown(TimePoint now);

  // MAINPID=: the main process is now `pid`, a member of the same process group (the driver
  // checked who may say so). No transition: only whose exit counts as the instance's changes.
  void SetMainPid(pid_t pid) {
    if (status_.pid > 0 && pid > 0) status_.pid = pid;
  }

  // Reload of keys that apply in place (restart policy, timeouts, backoff, ...): no state
  // change; timers already armed keep their deadline, the next one uses the new spec.
  void UpdateSpec(ProgramSpecView spec);
  void UpdateSpec(conf::ProgramSpec spec);

  const InstanceStatus& status() const { return status_; }
  const conf::ProgramSpec& spec() const { return *spec_; }
  State state() const { return status_.state; }
  bool shutting_down() const { return shutting_down_; }
  // EXITED with a code in exit_codes / EXITED otherwise (a signal or another code).
  bool completed() const;
  bool failed() const;
  bool one_shot() const { return spec_->restart == conf::RestartPolicy::kNever; }

 private:
  // What a stop in progress leads to once the main process (and its group) is gone.
  enum class AfterStop { kStopped, kStart, kFailedStart, kRestartAsSignal };
  enum class TimerPurpose { kNone, kStartSeconds, kStartTimeout, kBackoff, kStopTimeout, kWatchdog };

  // The steps shared by several events (instance_fsm_steps.cpp).
  void Transition(State to, const std::string& reason, Effects& out);
  void BeginStart(const std::string& reason, Effects& out);
  void BeginStop(AfterStop after, const std::string& reason, TimePoint now, Effects& out);
  void FinishStop(TimePoint now, Effects& out);
  void BecomeRunning(const std::string& reason, TimePoint now, Effects& out);
  void FailedStart(const std::string& reason, TimePoint now, Effects& out);
  void EnterBackoff(const std::string& reason, Clock::duration delay, TimePoint now, Effects& out);
  void EnterFatal(const std::string& reason, Effects& out);
  void EnterExited(const std::string& reason, Effects& out);
  void HandleExit(TimePoint now, Effects& out);
  void ExitFromRunning(ExitStatus status, const std::string& reason, TimePoint now, Effects& out);
  void ResetForOperatorStart();
  void Arm(TimerPurpose purpose, Clock::duration delay, TimePoint now, Effects& out);
  void Disarm(Effects& out);
  bool SetReady(bool ready);     // true when it changed
  bool SetHealth(Health health);
  bool IsSuccess(const ExitStatus& status) const;
  bool WantsRestart(const ExitStatus& status) const;
  
  ProgramSpecView spec_;  // never null
  UnitRandom unit_random_;
  InstanceStatus status_;
  StartLimitWindow start_limit_;
  bool shutting_down_ = false;
  bool spawn_pending_ = false;    // kSpawn emitted, OnSpawned/OnSpawnFailed not yet received
  bool reloading_ = false;        // RELOADING=1 seen, READY=1 not yet
  ExitStatus last_exit_;          // the exit being handled (held while draining)
  AfterStop after_stop_ = AfterStop::kStopped;
  std::string stop_reason_;       // why a kFailedStart / kRestartAsSignal stop began
  bool stop_signalled_ = false;   // stop_signal sent, SIGKILL not yet
  TimerPurpose timer_ = TimerPurpose::kNone;
};

}  // namespace sup::daemon
