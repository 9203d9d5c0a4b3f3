// InstanceFsm: stop escalation, watchdog, health, sd_notify readiness changes, shutdown and
// in-place reload (SPEC §4 "Stopping", "Watchdog"; §6 sd_notify).
#include <catch2/catch.hpp>

#include "fsm_rig.h"

namespace sup::daemon::testing {
namespace {

conf::ProgramSpec WatchdogSpec() {
  auto spec = TestSpec();
  spec.watchdog = std::chrono::milliseconds(30'000);
  return spec;
}

TEST_CASE("InstanceFsm: stop ignored past stop_timeout -> SIGKILL, then STOPPED",
          "[lifecycle][stop]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Stop();
  CHECK_FALSE(rig.status().sigkill_needed);
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  CHECK(rig.status().sigkill_needed);
  CHECK(rig.state() == State::kStopping);
  rig.Advance(10s);
  CHECK(rig.fsm.OnTimer(rig.now).empty());  // nothing after SIGKILL: wait for the exit
  CHECK(rig.Exit(ExitStatus::Signal(SIGKILL)) ==
        Effects{effect::Publish(State::kStopping, State::kStopped, "stopped")});
}

TEST_CASE("InstanceFsm: EXTEND_TIMEOUT_USEC while STOPPING -> SIGKILL later",
          "[lifecycle][stop]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Stop();
  rig.Advance(9s);
  CHECK(rig.fsm.OnExtendTimeout(20'000'000, rig.now) == Effects{effect::ArmTimer(20s)});
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  CHECK(rig.now == kT0 + 1s + 29s);
}

TEST_CASE("InstanceFsm: watchdog -> armed when RUNNING, not before", "[lifecycle][watchdog]") {
  FsmRig rig(WatchdogSpec());
  CHECK(rig.StartAndSpawn() == Effects{effect::ArmTimer(1s)});  // start_seconds only
  CHECK(rig.fsm.OnWatchdogPing(rig.now).empty());
  CHECK(rig.Fire() == Effects{effect::Publish(State::kStarting, State::kRunning, "started"),
                              effect::ArmTimer(30s)});
}

TEST_CASE("InstanceFsm: watchdog ping -> the clock starts again", "[lifecycle][watchdog]") {
  FsmRig rig(WatchdogSpec());
  rig.ToRunning();
  rig.Advance(20s);
  CHECK(rig.fsm.OnWatchdogPing(rig.now) == Effects{effect::ArmTimer(30s)});
  rig.Advance(20s);
  CHECK(rig.fsm.OnTimer(rig.now) == Effects{effect::ArmTimer(10s)});  // not due yet
  CHECK(rig.state() == State::kRunning);
}

TEST_CASE("InstanceFsm: watchdog expiry -> stopped, then restarted as a death by signal",
          "[lifecycle][watchdog]") {
  FsmRig rig(WatchdogSpec());
  rig.ToRunning();
  auto effects = rig.Fire();
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kStopping,
                                   "watchdog timeout: no ping in 30s"),
                           effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  effects = rig.Exit(ExitStatus::Code(0));  // a clean exit still counts as killed by a signal
  CHECK(effects == Effects{effect::CancelTimer(), effect::Publish(State::kStopping, State::kBackoff,
                                                  "watchdog timeout: no ping in 30s"),
                           effect::ArmTimer(100ms)});
  CHECK(rig.status().exits.last().status == ExitStatus::Code(0));
  CHECK(rig.status().error == "watchdog timeout: no ping in 30s");
}

TEST_CASE("InstanceFsm: watchdog expiry -> counted by start_limit", "[lifecycle][watchdog]") {
  auto spec = WatchdogSpec();
  spec.start_limit = {1, 600'000ms};
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Fire();
  rig.Exit(ExitStatus::Signal(SIGTERM));
  REQUIRE(rig.state() == State::kBackoff);
  rig.RetrySpawn();
  rig.Fire();
  rig.Fire();  // second watchdog expiry
  rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(rig.state() == State::kFatal);
}

TEST_CASE("InstanceFsm: watchdog expiry of a one-shot -> EXITED failed", "[lifecycle][watchdog]") {
  auto spec = WatchdogSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Fire();
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kExited);
  CHECK(rig.fsm.failed());
}

TEST_CASE("InstanceFsm: watchdog stop ignored -> SIGKILL, restart as killed by SIGKILL",
          "[lifecycle][watchdog]") {
  auto spec = WatchdogSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Fire();
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  const auto effects = rig.Exit(ExitStatus::Signal(SIGKILL));
  CHECK(Has(effects, effect::Publish(State::kStopping, State::kExited,
                             "failed: watchdog timeout: no ping in 30s")));
}

TEST_CASE("InstanceFsm: WATCHDOG=trigger -> as a watchdog expiry", "[lifecycle][watchdog]") {
  FsmRig rig;  // no watchdog configured: the trigger still acts
  rig.ToRunning();
  CHECK(rig.fsm.OnWatchdogTrigger(rig.now) ==
        Effects{effect::Publish(State::kRunning, State::kStopping, "watchdog triggered (WATCHDOG=trigger)"),
                effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kBackoff);
}

TEST_CASE("InstanceFsm: unhealthy with on_unhealthy = restart -> stop, then start again",
          "[lifecycle][health]") {
  auto spec = TestSpec();
  spec.health.kind = conf::HealthKind::kExec;
  FsmRig rig(spec);
  rig.ToRunning();
  CHECK(rig.fsm.OnHealthy(rig.now) == Effects{effect::StatusChanged()});
  const auto effects = rig.fsm.OnUnhealthy(rig.now);
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kStopping, "unhealthy: 3 failed checks"),
                           effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kBackoff);
  rig.RetrySpawn();
  CHECK(rig.status().health == Health::kUnknown);
}

TEST_CASE("InstanceFsm: unhealthy with on_unhealthy = mark -> only marked", "[lifecycle][health]") {
  auto spec = TestSpec();
  spec.health.kind = conf::HealthKind::kHttp;
  spec.health.on_unhealthy = conf::OnUnhealthy::kMark;
  FsmRig rig(spec);
  rig.ToRunning();
  CHECK(rig.fsm.OnUnhealthy(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.fsm.OnUnhealthy(rig.now).empty());  // no change, no event
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.status().health == Health::kUnhealthy);
  CHECK(rig.status().ready);
  CHECK(rig.fsm.OnHealthy(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.status().health == Health::kHealthy);
}

TEST_CASE("InstanceFsm: health reports with no process -> ignored", "[lifecycle][health]") {
  FsmRig rig;
  CHECK(rig.fsm.OnHealthy(rig.now).empty());
  CHECK(rig.fsm.OnUnhealthy(rig.now).empty());
  CHECK(rig.fsm.OnReady(rig.now).empty());
  CHECK(rig.status().health == Health::kUnknown);
}

TEST_CASE("InstanceFsm: RELOADING=1 -> not ready until the next READY=1", "[lifecycle][notify]") {
  FsmRig rig;  // ready = started: READY=1 matters only to end a reload
  rig.ToRunning();
  CHECK(rig.fsm.OnReady(rig.now).empty());
  CHECK(rig.fsm.OnReloading(rig.now) == Effects{effect::StatusChanged()});
  CHECK_FALSE(rig.status().ready);
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.fsm.OnReady(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: ready = health, RELOADING=1 -> a passing check does not end it",
          "[lifecycle][notify][health]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kHealth;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.fsm.OnReloading(rig.now);
  rig.fsm.OnHealthy(rig.now);
  CHECK_FALSE(rig.status().ready);
  rig.fsm.OnReady(rig.now);
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: shutdown -> BACKOFF goes STOPPED at once", "[lifecycle][shutdown]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.fsm.OnShutdown(rig.now) ==
        Effects{effect::CancelTimer(), effect::Publish(State::kBackoff, State::kStopped, "shutting down")});
  CHECK(rig.fsm.shutting_down());
}

TEST_CASE("InstanceFsm: shutdown -> waiting for dependencies goes STOPPED at once",
          "[lifecycle][shutdown]") {
  FsmRig rig;
  rig.Start();
  CHECK(rig.fsm.OnShutdown(rig.now) ==
        Effects{effect::Publish(State::kStarting, State::kStopped, "shutting down")});
  CHECK(rig.DependenciesMet().empty());
}

TEST_CASE("InstanceFsm: shutdown -> a live process is left for the driver's stop wave",
          "[lifecycle][shutdown]") {
  FsmRig rig;
  rig.ToRunning();
  CHECK(rig.fsm.OnShutdown(rig.now).empty());
  CHECK(rig.state() == State::kRunning);
  CHECK(Has(rig.Stop(), effect::Kill(SIGTERM, true)));
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kStopped);
}

TEST_CASE("InstanceFsm: shutdown -> start and restart ignored", "[lifecycle][shutdown]") {
  FsmRig rig;
  rig.fsm.OnShutdown(rig.now);
  CHECK(rig.Start().empty());
  CHECK(rig.Restart().empty());
  CHECK(rig.state() == State::kStopped);
}

TEST_CASE("InstanceFsm: shutdown while STOPPING with a queued start -> STOPPED, no start",
          "[lifecycle][shutdown]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Restart();
  rig.fsm.OnShutdown(rig.now);
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kStopped);
}

TEST_CASE("InstanceFsm: exit from RUNNING during shutdown -> recorded, not restarted, no on_fatal",
          "[lifecycle][shutdown]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kAlways;
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.fsm.OnShutdown(rig.now);
  const auto effects = rig.Exit(ExitStatus::Code(9));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kExited, "failed: exited with code 9")});
  CHECK(rig.status().exits.last().status == ExitStatus::Code(9));
}

TEST_CASE("InstanceFsm: failed start during shutdown -> STOPPED, never FATAL",
          "[lifecycle][shutdown]") {
  auto spec = TestSpec();
  spec.start_retries = 0;
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.fsm.OnShutdown(rig.now);
  const auto effects = rig.Exit(ExitStatus::Code(1));
  CHECK(effects == Effects{effect::CancelTimer(),
                           effect::Publish(State::kStarting, State::kStopped, "exited with code 1")});
}

TEST_CASE("InstanceFsm: one-shot EXITED failed during shutdown -> no FatalShutdown",
          "[lifecycle][shutdown]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.fsm.OnShutdown(rig.now);
  CHECK_FALSE(HasKind(rig.Exit(ExitStatus::Code(1)), Effect::Kind::kFatalShutdown));
  CHECK(rig.fsm.failed());
}

TEST_CASE("InstanceFsm: shutdown -> unhealthy and WATCHDOG=trigger restart nothing",
          "[lifecycle][shutdown]") {
  FsmRig rig;
  rig.ToRunning();
  rig.fsm.OnShutdown(rig.now);
  CHECK(rig.fsm.OnUnhealthy(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.fsm.OnWatchdogTrigger(rig.now).empty());
  CHECK(rig.state() == State::kRunning);
}

TEST_CASE("InstanceFsm: UpdateSpec -> no state change, the next delay uses the new backoff",
          "[lifecycle][reload]") {
  FsmRig rig;
  rig.ToRunning();
  auto spec = TestSpec();
  spec.backoff.initial = 2s;
  spec.stop_timeout = 1s;
  rig.fsm.UpdateSpec(spec);
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.status().ready);
  CHECK(Has(rig.Exit(ExitStatus::Code(1)), effect::ArmTimer(2s)));
}

TEST_CASE("InstanceFsm: memory limit exceeded -> restart as after a crash, the reason in the exit",
          "[lifecycle][memory]") {
  FsmRig rig;
  rig.ToRunning();
  const std::string reason = "memory limit 64MiB exceeded (used 72MiB)";
  CHECK(rig.fsm.OnMemoryExceeded(reason, rig.now) ==
        Effects{effect::Publish(State::kRunning, State::kStopping, reason), effect::Kill(SIGTERM, true),
                effect::ArmTimer(10s)});
  const auto effects = rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(Has(effects, effect::Publish(State::kStopping, State::kBackoff, reason)));
  CHECK(rig.status().error == reason);
  REQUIRE(rig.status().exits.records().size() == 1);
  CHECK(rig.status().exits.last().reason == reason);
  rig.RetrySpawn();
  CHECK(rig.status().restarts == 1);
}

TEST_CASE("InstanceFsm: memory limit outside RUNNING, or an ordinary exit -> no reason",
          "[lifecycle][memory]") {
  FsmRig rig;
  CHECK(rig.fsm.OnMemoryExceeded("memory limit 1MiB exceeded (used 2MiB)", rig.now).empty());
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(3));
  CHECK(rig.status().exits.last().reason.empty());
}

}  // namespace
}  // namespace sup::daemon::testing
