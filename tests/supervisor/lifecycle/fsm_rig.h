// FsmRig: drives one InstanceFsm in tests the way Program does, with a fake clock (a
// TimePoint moved by hand), fixed jitter (0.5: the backoff factor is exactly 1) and pids
// counting up from 100. It performs no effect: tests read the effects it returns.
#pragma once

#include <signal.h>

#include <algorithm>
#include <chrono>

#include "lifecycle/instance_fsm.h"

namespace sup::daemon::testing {

using namespace std::chrono_literals;

inline const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

inline conf::ProgramSpec TestSpec() {
  conf::ProgramSpec spec;
  spec.name = "web";
  spec.command = {"/bin/true"};
  return spec;  // SPEC §3 defaults: start_seconds 1s, start_retries 5, backoff 100ms x2 ...
}

inline bool Has(const Effects& effects, const Effect& effect) {
  return std::find(effects.begin(), effects.end(), effect) != effects.end();
}

inline bool HasKind(const Effects& effects, Effect::Kind kind) {
  return std::any_of(effects.begin(), effects.end(),
                     [kind](const Effect& e) { return e.kind == kind; });
}

struct FsmRig {
  explicit FsmRig(conf::ProgramSpec spec = TestSpec(), double unit_random = 0.5)
      : fsm(std::move(spec), [this] { return unit_random_value; }),
        unit_random_value(unit_random) {}

  InstanceFsm fsm;
  double unit_random_value;
  TimePoint now = kT0;
  pid_t next_pid = 100;

  const InstanceStatus& status() const { return fsm.status(); }
  State state() const { return fsm.state(); }
  void Advance(Clock::duration d) { now += d; }

  Effects Start() { return fsm.OnStart(now); }
  Effects Stop() { return fsm.OnStop(now); }
  Effects Restart() { return fsm.OnRestart(now); }
  Effects DependenciesMet() { return fsm.OnDependenciesMet(now); }
  Effects Spawned() { return fsm.OnSpawned(next_pid++, now); }
  Effects Exit(ExitStatus status, bool group_alive = false) {
    return fsm.OnExited(status, now, group_alive);
  }
  // Moves the clock to the armed timer's deadline and fires it.
  Effects Fire() {
    now = std::max(now, status().timer_deadline);
    return fsm.OnTimer(now);
  }
  // STARTING, spawned (dependencies answered at once, as a driver does with none).
  Effects StartAndSpawn() {
    Start();
    DependenciesMet();
    return Spawned();
  }
  // RUNNING: spawned, then start_seconds (or READY=1 / a passing check) elapsed.
  void ToRunning() {
    if (state() == State::kStopped || state() == State::kExited || state() == State::kFatal) {
      Start();
    }
    if (status().waiting_for_dependencies) DependenciesMet();
    Spawned();
    if (state() == State::kRunning) return;
    switch (fsm.spec().ready) {
      case conf::ReadyMode::kStarted: Fire(); break;
      case conf::ReadyMode::kNotify: fsm.OnReady(now); break;
      case conf::ReadyMode::kHealth: fsm.OnHealthy(now); break;
    }
  }
  // From BACKOFF: the delay elapses and the next process is spawned.
  Effects RetrySpawn() {
    Fire();
    DependenciesMet();
    return Spawned();
  }
};

}  // namespace sup::daemon::testing
