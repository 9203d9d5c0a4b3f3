// InstanceFsm, SPEC §4 "Exits and restarts": restart policies, start_limit, one-shots,
// on_fatal, the exit history and process-group draining.
#include <catch2/catch.hpp>

#include "fsm_rig.h"

namespace sup::daemon::testing {
namespace {

TEST_CASE("InstanceFsm: on-failure, exit 1 from RUNNING -> BACKOFF for initial, n = 0",
          "[lifecycle][exit]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Advance(5s);
  const auto effects = rig.Exit(ExitStatus::Code(1));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kBackoff, "exited with code 1"),
                           effect::ArmTimer(100ms)});
  CHECK(rig.status().consecutive_failures == 0);
  CHECK(rig.status().error == "exited with code 1");
  CHECK_FALSE(rig.status().ready);
  CHECK(rig.status().pid == 0);
}

TEST_CASE("InstanceFsm: a restart after an exit from RUNNING -> not a retry, restarts counted",
          "[lifecycle][exit]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.Fire() == Effects{effect::Publish(State::kBackoff, State::kStarting, "restarting"),
                              effect::CheckDependencies()});
  CHECK(rig.status().restarts == 1);
}

TEST_CASE("InstanceFsm: on-failure, exit 0 from RUNNING -> EXITED completed, not restarted",
          "[lifecycle][exit]") {
  FsmRig rig;
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Code(0));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kExited, "completed: exited with code 0")});
  CHECK(rig.fsm.completed());
  CHECK(rig.status().ready);
  CHECK(rig.status().wanted_up);
  rig.Advance(1h);
  CHECK(rig.fsm.OnTimer(rig.now).empty());
  CHECK(rig.state() == State::kExited);
}

TEST_CASE("InstanceFsm: on-failure, death by signal -> restarted", "[lifecycle][exit]") {
  FsmRig rig;
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Signal(SIGKILL));
  CHECK(Has(effects, effect::Publish(State::kRunning, State::kBackoff, "killed by SIGKILL")));
}

TEST_CASE("InstanceFsm: exit_codes holds only 3 -> exit 3 completes, exit 0 is a failure",
          "[lifecycle][exit]") {
  auto spec = TestSpec();
  spec.exit_codes = {3};
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kBackoff);  // 0 is not in exit_codes any more
  rig.RetrySpawn();
  rig.Fire();
  rig.Exit(ExitStatus::Code(3));
  CHECK(rig.state() == State::kExited);
  CHECK(rig.fsm.completed());
}

TEST_CASE("InstanceFsm: always, exit 0 from RUNNING -> restarted", "[lifecycle][exit]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kAlways;
  FsmRig rig(spec);
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Code(0));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kBackoff, "exited with code 0"),
                           effect::ArmTimer(100ms)});
}

TEST_CASE("InstanceFsm: restart delay -> initial times a jitter factor from 1-j to 1+j",
          "[lifecycle][exit][backoff]") {
  auto spec = TestSpec();
  spec.backoff.initial = 1s;
  spec.backoff.jitter = 0.1;
  FsmRig low(spec, 0.0);
  low.ToRunning();
  CHECK(Has(low.Exit(ExitStatus::Code(1)), effect::ArmTimer(900ms)));
  FsmRig high(spec, 0.75);
  high.ToRunning();
  CHECK(Has(high.Exit(ExitStatus::Code(1)), effect::ArmTimer(1050ms)));
}

TEST_CASE("InstanceFsm: start_limit 5 in 10s -> the 6th run's exit goes FATAL",
          "[lifecycle][exit][limit]") {
  FsmRig rig;
  rig.ToRunning();
  for (int restart = 1; restart <= 5; ++restart) {
    rig.Exit(ExitStatus::Code(1));
    REQUIRE(rig.state() == State::kBackoff);
    rig.RetrySpawn();
    rig.Fire();
    REQUIRE(rig.state() == State::kRunning);
  }
  CHECK(rig.now - kT0 < 10s);
  const auto effects = rig.Exit(ExitStatus::Code(1));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kFatal,
                                   "start limit hit: 5 restarts in 10s")});
  CHECK(rig.status().error == "start limit hit: 5 restarts in 10s");
  CHECK(rig.status().restarts == 5);
  CHECK(rig.status().exits.records().size() == 6);
}

TEST_CASE("InstanceFsm: restarts spread wider than the interval -> never hit the limit",
          "[lifecycle][exit][limit]") {
  auto spec = TestSpec();
  spec.start_limit = {2, 10'000ms};
  FsmRig rig(spec);
  rig.ToRunning();
  for (int i = 0; i < 10; ++i) {
    rig.Advance(4s);  // each run lasts about 5s: at most two restarts in any 10s
    rig.Exit(ExitStatus::Code(1));
    REQUIRE(rig.state() == State::kBackoff);
    rig.RetrySpawn();
    rig.Fire();
  }
  CHECK(rig.state() == State::kRunning);
}

TEST_CASE("InstanceFsm: start_limit burst = 0 -> disabled", "[lifecycle][exit][limit]") {
  auto spec = TestSpec();
  spec.start_limit.burst = 0;
  spec.start_seconds = 0ms;
  FsmRig rig(spec);
  rig.ToRunning();
  for (int i = 0; i < 50; ++i) {
    rig.Exit(ExitStatus::Code(1));
    REQUIRE(rig.state() == State::kBackoff);
    rig.RetrySpawn();
  }
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.status().restarts == 50);
}

TEST_CASE("InstanceFsm: failed-start retries -> never counted by start_limit",
          "[lifecycle][exit][limit]") {
  auto spec = TestSpec();
  spec.start_limit = {1, 60'000ms};
  spec.start_retries = 100;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  for (int i = 0; i < 10; ++i) {
    rig.Exit(ExitStatus::Code(1));
    rig.RetrySpawn();
  }
  rig.Fire();
  REQUIRE(rig.state() == State::kRunning);
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.state() == State::kBackoff);  // the first automatic restart is still allowed
  rig.RetrySpawn();
  rig.Fire();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.state() == State::kFatal);
  CHECK(rig.status().error == "start limit hit: 1 restarts in 1m");
}

TEST_CASE("InstanceFsm: operator start in BACKOFF -> start-limit history cleared",
          "[lifecycle][exit][limit]") {
  auto spec = TestSpec();
  spec.start_limit = {1, 60'000ms};
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(1));  // restart 1 of 1
  rig.RetrySpawn();
  rig.Fire();
  rig.Exit(ExitStatus::Code(1));
  REQUIRE(rig.state() == State::kFatal);
  rig.Start();  // FATAL + start: history reset
  rig.DependenciesMet();
  rig.Spawned();
  rig.Fire();
  rig.Exit(ExitStatus::Code(1));
  REQUIRE(rig.state() == State::kBackoff);  // granted again
  rig.Start();                              // BACKOFF + start: history reset again
  rig.DependenciesMet();
  rig.Spawned();
  rig.Fire();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.state() == State::kBackoff);
}

TEST_CASE("InstanceFsm: one-shot -> RUNNING and ready once exec succeeded",
          "[lifecycle][exit][oneshot]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.Start();
  rig.DependenciesMet();
  const auto effects = rig.Spawned();
  CHECK(effects == Effects{effect::Publish(State::kStarting, State::kRunning, "started (one-shot)")});
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: one-shot exit 0 -> EXITED completed and ready", "[lifecycle][exit][oneshot]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Code(0));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kExited, "completed: exited with code 0")});
  CHECK(rig.fsm.completed());
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: one-shot exit 2 -> EXITED failed, not ready, never run again",
          "[lifecycle][exit][oneshot]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Code(2));
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kExited, "failed: exited with code 2")});
  CHECK(rig.fsm.failed());
  CHECK_FALSE(rig.fsm.completed());
  CHECK_FALSE(rig.status().ready);
  rig.Advance(1h);
  CHECK(rig.fsm.OnTimer(rig.now).empty());
  CHECK(rig.state() == State::kExited);
}

TEST_CASE("InstanceFsm: one-shot killed by a signal -> EXITED failed", "[lifecycle][exit][oneshot]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Exit(ExitStatus::Signal(SIGABRT, true));
  CHECK(rig.fsm.failed());
}

TEST_CASE("InstanceFsm: one-shot EXITED failed with on_fatal = shutdown -> FatalShutdown",
          "[lifecycle][exit][oneshot][fatal]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Code(4));
  CHECK(Has(effects, effect::FatalShutdown("failed: exited with code 4")));
}

TEST_CASE("InstanceFsm: one-shot with ready = notify -> RUNNING but not ready until READY=1",
          "[lifecycle][exit][oneshot][notify]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  spec.ready = conf::ReadyMode::kNotify;
  FsmRig rig(spec);
  rig.Start();
  rig.DependenciesMet();
  CHECK_FALSE(HasKind(rig.Spawned(), Effect::Kind::kArmTimer));  // no start_timeout
  CHECK(rig.state() == State::kRunning);
  CHECK_FALSE(rig.status().ready);
  CHECK(rig.fsm.OnReady(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: one-shot with ready = health -> ready at the first passing check",
          "[lifecycle][exit][oneshot][health]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  spec.ready = conf::ReadyMode::kHealth;
  FsmRig rig(spec);
  rig.Start();
  rig.DependenciesMet();
  rig.Spawned();
  CHECK_FALSE(rig.status().ready);
  CHECK(rig.fsm.OnHealthy(rig.now) == Effects{effect::StatusChanged()});
  CHECK(rig.status().ready);
}

TEST_CASE("InstanceFsm: FATAL with on_fatal = shutdown -> FatalShutdown, ignore -> none",
          "[lifecycle][exit][fatal]") {
  auto spec = TestSpec();
  spec.start_retries = 0;
  spec.on_fatal = conf::OnFatal::kShutdown;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  auto effects = rig.Exit(ExitStatus::Code(1));
  CHECK(Has(effects, effect::FatalShutdown("failed to start 1 times: exited with code 1")));

  spec.on_fatal = conf::OnFatal::kIgnore;
  FsmRig quiet(spec);
  quiet.StartAndSpawn();
  effects = quiet.Exit(ExitStatus::Code(1));
  CHECK(quiet.state() == State::kFatal);
  CHECK_FALSE(HasKind(effects, Effect::Kind::kFatalShutdown));
}

TEST_CASE("InstanceFsm: many exits -> history keeps the last 10 with their run lengths",
          "[lifecycle][exit][history]") {
  auto spec = TestSpec();
  spec.start_limit.burst = 0;
  FsmRig rig(spec);
  rig.ToRunning();
  for (int code = 1; code <= 12; ++code) {
    rig.Advance(std::chrono::seconds(code));
    rig.Exit(ExitStatus::Code(code));
    rig.RetrySpawn();
    rig.Fire();
  }
  const auto& records = rig.status().exits.records();
  REQUIRE(records.size() == kExitHistorySize);
  CHECK(records.front().status == ExitStatus::Code(3));
  CHECK(records.back().status == ExitStatus::Code(12));
  CHECK(records.back().run_length == 1s + 12s);  // start_seconds, then 12s more
  CHECK(records.back().at == rig.now - 1s - 100ms);  // then backoff, then start_seconds
}

TEST_CASE("InstanceFsm: exit with the group alive -> state kept, group gets stop_signal, exit recorded",
          "[lifecycle][exit][group]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Advance(3s);
  auto effects = rig.Exit(ExitStatus::Code(1), /*group_alive=*/true);
  CHECK(effects == Effects{effect::Kill(SIGTERM, true), effect::ArmTimer(10s), effect::StatusChanged()});
  CHECK(rig.state() == State::kRunning);
  CHECK(rig.status().group_draining);
  CHECK(rig.status().pid == 0);
  CHECK_FALSE(rig.status().ready);
  CHECK(rig.status().exits.last().status == ExitStatus::Code(1));
  CHECK(rig.status().exits.last().run_length == 4s);

  effects = rig.Fire();
  CHECK(effects == Effects{effect::Kill(SIGKILL, true)});
  CHECK(rig.state() == State::kRunning);

  rig.Advance(1s);
  effects = rig.fsm.OnGroupEmpty(rig.now);
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kBackoff, "exited with code 1"),
                           effect::ArmTimer(100ms)});
  CHECK_FALSE(rig.status().group_draining);
}

TEST_CASE("InstanceFsm: group empties before stop_timeout -> no SIGKILL, timer cancelled",
          "[lifecycle][exit][group]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(0), true);
  const auto effects = rig.fsm.OnGroupEmpty(rig.now);
  CHECK(effects == Effects{effect::CancelTimer(), effect::Publish(State::kRunning, State::kExited,
                                                  "completed: exited with code 0")});
  CHECK_FALSE(rig.status().sigkill_needed);
}

TEST_CASE("InstanceFsm: kill_group = false -> group members left alone",
          "[lifecycle][exit][group]") {
  auto spec = TestSpec();
  spec.kill_group = false;
  FsmRig rig(spec);
  rig.ToRunning();
  const auto effects = rig.Exit(ExitStatus::Code(1), /*group_alive=*/true);
  CHECK(rig.state() == State::kBackoff);
  CHECK_FALSE(HasKind(effects, Effect::Kind::kKill));
  CHECK_FALSE(rig.status().group_draining);
}

TEST_CASE("InstanceFsm: exit in STARTING with the group alive -> failed start only once empty",
          "[lifecycle][exit][group]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1), true);
  CHECK(rig.state() == State::kStarting);
  CHECK(rig.status().consecutive_failures == 0);
  rig.fsm.OnGroupEmpty(rig.now);
  CHECK(rig.state() == State::kBackoff);
  CHECK(rig.status().consecutive_failures == 1);
}

TEST_CASE("InstanceFsm: stop while draining -> STOPPING, group not signalled twice",
          "[lifecycle][exit][group]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(1), true);
  rig.Advance(2s);
  const auto effects = rig.Stop();
  CHECK(effects == Effects{effect::Publish(State::kRunning, State::kStopping, "stop requested")});
  CHECK(rig.status().timer_deadline == kT0 + 1s + 10s);  // the drain's deadline stands
  rig.fsm.OnGroupEmpty(rig.now);
  CHECK(rig.state() == State::kStopped);
  CHECK(rig.status().exits.last().status == ExitStatus::Code(1));
}

TEST_CASE("InstanceFsm: exit in STOPPING with the group alive -> STOPPED once the group is empty",
          "[lifecycle][exit][group]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Stop();
  auto effects = rig.Exit(ExitStatus::Signal(SIGTERM), true);
  CHECK(effects.empty());  // the group already got stop_signal with the stop
  CHECK(rig.state() == State::kStopping);
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  effects = rig.fsm.OnGroupEmpty(rig.now);
  CHECK(effects == Effects{effect::Publish(State::kStopping, State::kStopped, "stopped")});
  CHECK(rig.status().sigkill_needed);
}

TEST_CASE("InstanceFsm: an exit with no main process, or a group report with no drain -> ignored",
          "[lifecycle][exit]") {
  FsmRig rig;
  CHECK(rig.Exit(ExitStatus::Code(1)).empty());
  rig.ToRunning();
  CHECK(rig.fsm.OnGroupEmpty(rig.now).empty());
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.Exit(ExitStatus::Code(1)).empty());  // reported twice
  CHECK(rig.status().exits.records().size() == 1);
}

}  // namespace
}  // namespace sup::daemon::testing
