// InstanceFsm, SPEC §4 "Starting": dependencies, readiness, failed starts and backoff.
#include <catch2/catch.hpp>

#include "fsm_rig.h"

namespace sup::daemon::testing {
namespace {

TEST_CASE("InstanceFsm: a new instance -> STOPPED, wanted down, no pid", "[lifecycle][start]") {
  FsmRig rig;
  CHECK(rig.state() == State::kStopped);
  CHECK_FALSE(rig.status().wanted_up);
  CHECK(rig.status().pid == 0);
  CHECK_FALSE(rig.status().ready);
  CHECK(rig.status().health == Health::kUnknown);
}

TEST_CASE("InstanceFsm: start -> STARTING waiting for dependencies, no timer", "[lifecycle][start]") {
  FsmRig rig;
  const auto effects = rig.Start();
  CHECK(effects == Effects{effect::Publish(State::kStopped, State::kStarting, "start requested"),
                           effect::CheckDependencies()});
  CHECK(rig.state() == State::kStarting);
  CHECK(rig.status().wanted_up);
  CHECK(rig.status().waiting_for_dependencies);
  CHECK(rig.status().pid == 0);
}

TEST_CASE("InstanceFsm: dependencies met -> spawn, still STARTING", "[lifecycle][start]") {
  FsmRig rig;
  rig.Start();
  CHECK(rig.DependenciesMet() == Effects{effect::Spawn()});
  CHECK(rig.state() == State::kStarting);
  CHECK_FALSE(rig.status().waiting_for_dependencies);
}

TEST_CASE("InstanceFsm: spawned with ready = started -> start_seconds timer", "[lifecycle][start]") {
  FsmRig rig;
  rig.Start();
  rig.DependenciesMet();
  CHECK(rig.Spawned() == Effects{effect::ArmTimer(1s)});
  CHECK(rig.status().pid == 100);
  CHECK(rig.status().start_time == kT0);
  CHECK_FALSE(rig.status().ready);
}

TEST_CASE("InstanceFsm: alive for start_seconds -> RUNNING and ready", "[lifecycle][start]") {
  FsmRig rig;
  rig.StartAndSpawn();
  const auto effects = rig.Fire();
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kRunning, "started")});
  CHECK(rig.now == kT0 + 1s);
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: start_seconds = 0 -> RUNNING at spawn", "[lifecycle][start]") {
  auto spec = TestSpec();
  spec.start_seconds = 0ms;
  FsmRig rig(spec);
  const auto effects = rig.StartAndSpawn();
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kRunning, "started")});
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: a timer fired early -> re-armed for the remainder", "[lifecycle][start]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Advance(600ms);
  CHECK(rig.fsm.OnTimer(rig.now) == Effects{effect::ArmTimer(400ms)});
  CHECK(rig.state() == State::kStarting);
  CHECK(rig.Fire() == Effects{effect::Publish(State::kStarting, State::kRunning, "started")});
}

TEST_CASE("InstanceFsm: ready = notify, READY=1 -> RUNNING, start_timeout cancelled",
          "[lifecycle][start][notify]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  FsmRig rig(spec);
  CHECK(rig.StartAndSpawn() == Effects{effect::ArmTimer(90s)});
  rig.Advance(5s);
  const auto effects = rig.fsm.OnReady(rig.now);
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kRunning, "ready: READY=1"),
                           effect::CancelTimer()});
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: ready = notify, alive past start_seconds -> still STARTING",
          "[lifecycle][start][notify]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.Advance(30s);
  CHECK(rig.fsm.OnTimer(rig.now) == Effects{effect::ArmTimer(60s)});  // only start_timeout is armed
  CHECK(rig.state() == State::kStarting);
}

TEST_CASE("InstanceFsm: ready = notify with start_timeout = 0 -> no timer, waits forever",
          "[lifecycle][start][notify]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  spec.start_timeout = 0ms;
  FsmRig rig(spec);
  CHECK(rig.StartAndSpawn().empty());
  rig.Advance(1h);
  CHECK(rig.fsm.OnTimer(rig.now).empty());
  CHECK(rig.state() == State::kStarting);
}

TEST_CASE("InstanceFsm: start_timeout -> stop_signal, then BACKOFF once exited",
          "[lifecycle][start][notify]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  spec.start_timeout = 5s;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  auto effects = rig.Fire();
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kStopping,
                                   "start timeout: not ready within 5s"),
                           effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  rig.Advance(1s);
  effects = rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(rig.state() == State::kBackoff);
  CHECK(Has(effects, effect::Publish(State::kStopping, State::kBackoff,
                             "start timeout: not ready within 5s")));
  CHECK(Has(effects, effect::ArmTimer(100ms)));
  CHECK(rig.status().consecutive_failures == 1);
  CHECK(rig.status().error == "start timeout: not ready within 5s");
}

TEST_CASE("InstanceFsm: start_timeout stop ignored -> SIGKILL after stop_timeout, then BACKOFF",
          "[lifecycle][start][notify]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kHealth;
  spec.start_timeout = 5s;
  spec.stop_timeout = 2s;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.Fire();
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  CHECK(rig.status().sigkill_needed);
  rig.Exit(ExitStatus::Signal(SIGKILL));
  CHECK(rig.state() == State::kBackoff);
  CHECK(rig.status().consecutive_failures == 1);
}

TEST_CASE("InstanceFsm: EXTEND_TIMEOUT_USEC -> start_timeout moves later, never earlier",
          "[lifecycle][start][notify]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  spec.start_timeout = 10s;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.Advance(8s);
  CHECK(rig.fsm.OnExtendTimeout(5'000'000, rig.now) == Effects{effect::ArmTimer(5s)});
  CHECK(rig.status().timer_deadline == kT0 + 13s);
  CHECK(rig.fsm.OnExtendTimeout(1'000'000, rig.now).empty());  // 1s from now is earlier
  rig.Advance(3s);
  CHECK(rig.fsm.OnTimer(rig.now) == Effects{effect::ArmTimer(2s)});
  CHECK(rig.state() == State::kStarting);
  rig.Fire();
  CHECK(rig.state() == State::kStopping);
}

TEST_CASE("InstanceFsm: EXTEND_TIMEOUT_USEC with ready = started -> ignored", "[lifecycle][start]") {
  FsmRig rig;
  rig.StartAndSpawn();
  CHECK(rig.fsm.OnExtendTimeout(5'000'000, rig.now).empty());
  CHECK(rig.status().timer_deadline == kT0 + 1s);
}

TEST_CASE("InstanceFsm: ready = health, first passing check -> RUNNING, healthy",
          "[lifecycle][start][health]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kHealth;
  spec.health.kind = conf::HealthKind::kTcp;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  CHECK(rig.fsm.OnReady(rig.now).empty());  // READY=1 is not this mode's condition
  CHECK(rig.state() == State::kStarting);
  const auto effects = rig.fsm.OnHealthy(rig.now);
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kRunning, "ready: health check passed"),
                           effect::CancelTimer()});
  CHECK(rig.status().ready);
  CHECK(rig.status().health == Health::kHealthy);
}

TEST_CASE("InstanceFsm: ready = notify, a passing check -> healthy but still STARTING",
          "[lifecycle][start][health]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  CHECK(rig.fsm.OnHealthy(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.state() == State::kStarting);
  CHECK(rig.status().health == Health::kHealthy);
  CHECK_FALSE(rig.status().ready);
}

TEST_CASE("InstanceFsm: exit during STARTING -> BACKOFF for initial, one failure",
          "[lifecycle][start][backoff]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Advance(300ms);
  const auto effects = rig.Exit(ExitStatus::Code(1));
  CHECK(effects == Effects{effect::CancelTimer(),
                           effect::Publish(State::kStarting, State::kBackoff, "exited with code 1"),
                           effect::ArmTimer(100ms)});
  CHECK(rig.status().consecutive_failures == 1);
  CHECK(rig.status().error == "exited with code 1");
  CHECK(rig.status().pid == 0);
  CHECK(rig.status().exits.last().run_length == 300ms);
}

TEST_CASE("InstanceFsm: consecutive failed starts -> delay initial x factor^(n-1)",
          "[lifecycle][start][backoff]") {
  auto spec = TestSpec();
  spec.start_retries = 10;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  const std::vector<Clock::duration> expected{100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto effects = rig.Exit(ExitStatus::Code(1));
    CHECK(Has(effects, effect::ArmTimer(expected[i])));
    CHECK(rig.status().consecutive_failures == static_cast<int>(i + 1));
    rig.RetrySpawn();
  }
}

TEST_CASE("InstanceFsm: backoff grows past max -> capped at max", "[lifecycle][start][backoff]") {
  auto spec = TestSpec();
  spec.start_retries = 20;
  spec.backoff.initial = 1s;
  spec.backoff.max = 5s;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  Effects effects;
  for (int i = 0; i < 6; ++i) {
    effects = rig.Exit(ExitStatus::Code(1));
    rig.RetrySpawn();
  }
  CHECK(Has(effects, effect::ArmTimer(5s)));
}

TEST_CASE("InstanceFsm: initial = 0s -> retried at once (a zero timer)", "[lifecycle][start][backoff]") {
  auto spec = TestSpec();
  spec.backoff.initial = 0ms;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  CHECK(Has(rig.Exit(ExitStatus::Code(1)), effect::ArmTimer(0ms)));
}

TEST_CASE("InstanceFsm: start_retries retries failed -> FATAL 'failed to start 6 times'",
          "[lifecycle][start][backoff]") {
  FsmRig rig;
  rig.StartAndSpawn();
  for (int i = 0; i < 5; ++i) {
    rig.Exit(ExitStatus::Code(2));
    REQUIRE(rig.state() == State::kBackoff);
    rig.RetrySpawn();
  }
  const auto effects = rig.Exit(ExitStatus::Code(2));
  CHECK(rig.state() == State::kFatal);
  CHECK(Has(effects, effect::Publish(State::kStarting, State::kFatal,
                             "failed to start 6 times: exited with code 2")));
  CHECK_FALSE(HasKind(effects, Effect::Kind::kArmTimer));
  CHECK_FALSE(HasKind(effects, Effect::Kind::kFatalShutdown));  // on_fatal = ignore
  CHECK(rig.status().error == "failed to start 6 times: exited with code 2");
  CHECK(rig.status().restarts == 5);
}

TEST_CASE("InstanceFsm: start_retries = 0 -> FATAL at the first failed start",
          "[lifecycle][start][backoff]") {
  auto spec = TestSpec();
  spec.start_retries = 0;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.state() == State::kFatal);
  CHECK(rig.status().error == "failed to start 1 times: exited with code 1");
}

TEST_CASE("InstanceFsm: exec error -> failed start with the OS error, never 'exited with 127'",
          "[lifecycle][start][backoff]") {
  FsmRig rig;
  rig.Start();
  rig.DependenciesMet();
  const std::string error = "exec /usr/bin/nope: No such file or directory";
  const auto effects = rig.fsm.OnSpawnFailed(error, rig.now);
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kBackoff, error), effect::ArmTimer(100ms)});
  CHECK(rig.status().error == error);
  CHECK(rig.status().exits.empty());
  CHECK(rig.status().consecutive_failures == 1);
  for (int i = 0; i < 5; ++i) {
    rig.Fire();
    rig.DependenciesMet();
    rig.fsm.OnSpawnFailed(error, rig.now);
  }
  CHECK(rig.state() == State::kFatal);
  CHECK(rig.status().error == "failed to start 6 times: " + error);
}

TEST_CASE("InstanceFsm: a run that reaches RUNNING -> failure count reset",
          "[lifecycle][start][backoff]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1));
  rig.RetrySpawn();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.status().consecutive_failures == 2);
  rig.RetrySpawn();
  rig.Fire();
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.status().consecutive_failures == 0);
}

TEST_CASE("InstanceFsm: backoff elapsed -> STARTING re-checks dependencies, restart counted",
          "[lifecycle][start][backoff]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1));
  const auto effects = rig.Fire();
  CHECK(effects == Effects{effect::Publish(State::kBackoff, State::kStarting, "retry 1 of 5"),
                           effect::CheckDependencies()});
  CHECK(rig.status().waiting_for_dependencies);
  CHECK(rig.status().restarts == 1);
}

TEST_CASE("InstanceFsm: dependency failed while waiting -> FATAL with its reason",
          "[lifecycle][start][deps]") {
  FsmRig rig;
  rig.Start();
  const auto effects = rig.fsm.OnDependencyFailed("dependency migrate failed: exit 3", rig.now);
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kFatal,
                                   "dependency migrate failed: exit 3")});
  CHECK(rig.status().error == "dependency migrate failed: exit 3");
  CHECK_FALSE(rig.status().waiting_for_dependencies);
}

TEST_CASE("InstanceFsm: dependency failed with on_fatal = shutdown -> FatalShutdown",
          "[lifecycle][start][deps]") {
  auto spec = TestSpec();
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.Start();
  const auto effects = rig.fsm.OnDependencyFailed("dependency db failed: exit 1", rig.now);
  CHECK(Has(effects, effect::FatalShutdown("dependency db failed: exit 1")));
}

TEST_CASE("InstanceFsm: waiting for dependencies -> no timer runs, however long",
          "[lifecycle][start][deps]") {
  FsmRig rig;
  const auto effects = rig.Start();
  CHECK_FALSE(HasKind(effects, Effect::Kind::kArmTimer));
  rig.Advance(1h);
  CHECK(rig.fsm.OnTimer(rig.now).empty());
  CHECK(rig.state() == State::kStarting);
  CHECK(rig.DependenciesMet() == Effects{effect::Spawn()});
}

TEST_CASE("InstanceFsm: late dependency answers after a stop -> ignored", "[lifecycle][start][deps]") {
  FsmRig rig;
  rig.Start();
  rig.Stop();
  CHECK(rig.DependenciesMet().empty());
  CHECK(rig.fsm.OnDependencyFailed("dependency db failed: exit 1", rig.now).empty());
  CHECK(rig.state() == State::kStopped);
}

TEST_CASE("InstanceFsm: a dependency answer when already spawned -> ignored",
          "[lifecycle][start][deps]") {
  FsmRig rig;
  rig.ToRunning();
  CHECK(rig.DependenciesMet().empty());
  CHECK(rig.fsm.OnDependencyFailed("dependency db failed: exit 1", rig.now).empty());
  CHECK(rig.state() == State::kRunning);
}

TEST_CASE("InstanceFsm: on-failure, exit in STARTING with a code in exit_codes -> EXITED completed",
          "[lifecycle][start][oneshot]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Advance(200ms);
  const auto effects = rig.Exit(ExitStatus::Code(0));
  CHECK(effects == Effects{effect::CancelTimer(), effect::Publish(State::kStarting, State::kExited,
                                                  "completed: exited with code 0")});
  CHECK(rig.fsm.completed());
  CHECK_FALSE(rig.fsm.failed());
  CHECK(rig.status().ready);
  CHECK(rig.status().consecutive_failures == 0);
}

TEST_CASE("InstanceFsm: always, exit 0 in STARTING -> a failed start", "[lifecycle][start]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kAlways;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kBackoff);
  CHECK(rig.status().consecutive_failures == 1);
}

TEST_CASE("InstanceFsm: death by signal in STARTING -> a failed start", "[lifecycle][start]") {
  FsmRig rig;
  rig.StartAndSpawn();
  const auto effects = rig.Exit(ExitStatus::Signal(SIGSEGV, true));
  CHECK(Has(effects, effect::Publish(State::kStarting, State::kBackoff,
                             "killed by SIGSEGV (core dumped)")));
  CHECK(rig.status().exits.last().status.core_dumped);
}

}  // namespace
}  // namespace sup::daemon::testing
