// InstanceFsm, SPEC §4 "Commands by state": one TEST_CASE per cell of the table.
#include <catch2/catch.hpp>

#include "fsm_rig.h"

namespace sup::daemon::testing {
namespace {

// Puts a fresh rig into each row's state.
void ToWaiting(FsmRig& rig) { rig.Start(); }
void ToSpawnedStarting(FsmRig& rig) { rig.StartAndSpawn(); }
void ToBackoff(FsmRig& rig) {
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1));
}
void ToStopping(FsmRig& rig) {
  rig.ToRunning();
  rig.Stop();
}
void ToExited(FsmRig& rig) {
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(0));
}
void ToFatal(FsmRig& rig) {
  rig.StartAndSpawn();
  for (int i = 0; i < 5; ++i) {
    rig.Exit(ExitStatus::Code(1));
    rig.RetrySpawn();
  }
  rig.Exit(ExitStatus::Code(1));
}

// --- STOPPED ---
TEST_CASE("Commands: STOPPED + start -> STARTING", "[lifecycle][commands]") {
  FsmRig rig;
  CHECK(rig.Start() == Effects{effect::Publish(State::kStopped, State::kStarting, "start requested"),
                               effect::CheckDependencies()});
}

TEST_CASE("Commands: STOPPED + stop -> no-op", "[lifecycle][commands]") {
  FsmRig rig;
  CHECK(rig.Stop().empty());
  CHECK(rig.state() == State::kStopped);
  CHECK_FALSE(rig.status().wanted_up);
}

TEST_CASE("Commands: STOPPED + restart -> as start", "[lifecycle][commands]") {
  FsmRig rig;
  CHECK(rig.Restart() == Effects{effect::Publish(State::kStopped, State::kStarting, "start requested"),
                                 effect::CheckDependencies()});
  CHECK(rig.status().wanted_up);
}

// --- STARTING, waiting for dependencies ---
TEST_CASE("Commands: STARTING waiting for dependencies + start -> no-op", "[lifecycle][commands]") {
  FsmRig rig;
  ToWaiting(rig);
  CHECK(rig.Start().empty());
  CHECK(rig.status().waiting_for_dependencies);
}

TEST_CASE("Commands: STARTING waiting for dependencies + stop -> STOPPED at once",
          "[lifecycle][commands]") {
  FsmRig rig;
  ToWaiting(rig);
  CHECK(rig.Stop() == Effects{effect::Publish(State::kStarting, State::kStopped, "stop requested")});
  CHECK_FALSE(rig.status().wanted_up);
  CHECK_FALSE(rig.status().waiting_for_dependencies);
}

TEST_CASE("Commands: STARTING waiting for dependencies + restart -> no-op", "[lifecycle][commands]") {
  FsmRig rig;
  ToWaiting(rig);
  CHECK(rig.Restart().empty());
  CHECK(rig.state() == State::kStarting);
}

// --- STARTING, spawned ---
TEST_CASE("Commands: STARTING spawned + start -> no-op, waits with the first",
          "[lifecycle][commands]") {
  FsmRig rig;
  ToSpawnedStarting(rig);
  CHECK(rig.Start().empty());
  CHECK(rig.Fire() == Effects{effect::Publish(State::kStarting, State::kRunning, "started")});
}

TEST_CASE("Commands: STARTING spawned + stop -> STOPPING", "[lifecycle][commands]") {
  FsmRig rig;
  ToSpawnedStarting(rig);
  CHECK(rig.Stop() == Effects{effect::Publish(State::kStarting, State::kStopping, "stop requested"),
                              effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(rig.state() == State::kStopped);
  CHECK(rig.status().consecutive_failures == 0);  // a stop is never a failed start
}

TEST_CASE("Commands: STARTING spawned + restart -> stop, then start", "[lifecycle][commands]") {
  FsmRig rig;
  ToSpawnedStarting(rig);
  CHECK(rig.Restart() == Effects{effect::Publish(State::kStarting, State::kStopping, "restart requested"),
                                 effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  const auto effects = rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(effects == Effects{effect::CancelTimer(), effect::Publish(State::kStopping, State::kStopped, "stopped"),
                           effect::Publish(State::kStopped, State::kStarting, "start requested"),
                           effect::CheckDependencies()});
}

TEST_CASE("Commands: STARTING before the spawn answered + stop -> signalled once spawned",
          "[lifecycle][commands]") {
  FsmRig rig;
  rig.Start();
  rig.DependenciesMet();  // kSpawn under way
  CHECK(rig.Stop() == Effects{effect::Publish(State::kStarting, State::kStopping, "stop requested")});
  CHECK(rig.Spawned() == Effects{effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(rig.state() == State::kStopped);
}

TEST_CASE("Commands: STARTING before the spawn answered + stop, spawn fails -> STOPPED",
          "[lifecycle][commands]") {
  FsmRig rig;
  rig.Start();
  rig.DependenciesMet();
  rig.Stop();
  CHECK(rig.fsm.OnSpawnFailed("exec /x: Permission denied", rig.now) ==
        Effects{effect::Publish(State::kStopping, State::kStopped, "stopped")});
  CHECK(rig.status().consecutive_failures == 0);
}

// --- RUNNING ---
TEST_CASE("Commands: RUNNING + start -> no-op, already running", "[lifecycle][commands]") {
  FsmRig rig;
  rig.ToRunning();
  CHECK(rig.Start().empty());
  CHECK(rig.state() == State::kRunning);
}

TEST_CASE("Commands: RUNNING + stop -> STOPPING with stop_signal to the group",
          "[lifecycle][commands]") {
  auto spec = TestSpec();
  spec.stop_signal = SIGINT;
  spec.stop_timeout = 3s;
  FsmRig rig(spec);
  rig.ToRunning();
  CHECK(rig.Stop() == Effects{effect::Publish(State::kRunning, State::kStopping, "stop requested"),
                              effect::Kill(SIGINT, true), effect::ArmTimer(3s)});
  CHECK_FALSE(rig.status().wanted_up);
  CHECK_FALSE(rig.status().ready);
}

TEST_CASE("Commands: RUNNING + restart -> stop, then start", "[lifecycle][commands]") {
  FsmRig rig;
  rig.ToRunning();
  CHECK(rig.Restart() == Effects{effect::Publish(State::kRunning, State::kStopping, "restart requested"),
                                 effect::Kill(SIGTERM, true), effect::ArmTimer(10s)});
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kStarting);
  CHECK(rig.status().wanted_up);
  CHECK(rig.status().restarts == 0);  // operator commands are not automatic restarts
}

// --- BACKOFF ---
TEST_CASE("Commands: BACKOFF + start -> delay cancelled, failures reset, spawn now",
          "[lifecycle][commands]") {
  FsmRig rig;
  ToBackoff(rig);
  REQUIRE(rig.status().consecutive_failures == 1);
  CHECK(rig.Start() == Effects{effect::CancelTimer(),
                               effect::Publish(State::kBackoff, State::kStarting, "start requested"),
                               effect::CheckDependencies()});
  CHECK(rig.status().consecutive_failures == 0);
  CHECK(rig.status().error.empty());
}

TEST_CASE("Commands: BACKOFF + stop -> delay cancelled, STOPPED", "[lifecycle][commands]") {
  FsmRig rig;
  ToBackoff(rig);
  CHECK(rig.Stop() == Effects{effect::CancelTimer(),
                              effect::Publish(State::kBackoff, State::kStopped, "stop requested")});
  rig.Advance(1h);
  CHECK(rig.fsm.OnTimer(rig.now).empty());
}

TEST_CASE("Commands: BACKOFF + restart -> as start", "[lifecycle][commands]") {
  FsmRig rig;
  ToBackoff(rig);
  CHECK(rig.Restart() == Effects{effect::CancelTimer(),
                                 effect::Publish(State::kBackoff, State::kStarting, "start requested"),
                                 effect::CheckDependencies()});
}

// --- STOPPING ---
TEST_CASE("Commands: STOPPING + start -> queued, starts once STOPPED", "[lifecycle][commands]") {
  FsmRig rig;
  ToStopping(rig);
  CHECK(rig.Start().empty());
  CHECK(rig.state() == State::kStopping);
  const auto effects = rig.Exit(ExitStatus::Signal(SIGTERM));
  CHECK(effects == Effects{effect::CancelTimer(), effect::Publish(State::kStopping, State::kStopped, "stopped"),
                           effect::Publish(State::kStopped, State::kStarting, "start requested"),
                           effect::CheckDependencies()});
}

TEST_CASE("Commands: STOPPING + stop -> no-op, deadline unchanged", "[lifecycle][commands]") {
  FsmRig rig;
  ToStopping(rig);
  const auto deadline = rig.status().timer_deadline;
  rig.Advance(4s);
  CHECK(rig.Stop().empty());
  CHECK(rig.status().timer_deadline == deadline);
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  CHECK(rig.now == deadline);
}

TEST_CASE("Commands: STOPPING + restart -> queued start", "[lifecycle][commands]") {
  FsmRig rig;
  ToStopping(rig);
  CHECK(rig.Restart().empty());
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kStarting);
}

TEST_CASE("Commands: STOPPING + a queued start, then stop -> STOPPED, no start",
          "[lifecycle][commands]") {
  FsmRig rig;
  ToStopping(rig);
  rig.Start();
  rig.Stop();
  rig.Exit(ExitStatus::Code(0));
  CHECK(rig.state() == State::kStopped);
  CHECK_FALSE(rig.status().wanted_up);
}

TEST_CASE("Commands: STOPPING + main exits with a failure -> STOPPED, no restart, no on_fatal",
          "[lifecycle][commands]") {
  auto spec = TestSpec();
  spec.on_fatal = conf::OnFatal::kShutdown;
  spec.restart = conf::RestartPolicy::kAlways;
  FsmRig rig(spec);
  ToStopping(rig);
  const auto effects = rig.Exit(ExitStatus::Signal(SIGSEGV, true));
  CHECK(effects == Effects{effect::CancelTimer(), effect::Publish(State::kStopping, State::kStopped, "stopped")});
  CHECK(rig.status().exits.last().status == ExitStatus::Signal(SIGSEGV, true));
  CHECK(rig.status().error.empty());
}

// --- EXITED ---
TEST_CASE("Commands: EXITED + start -> STARTING, the one-shot runs again", "[lifecycle][commands]") {
  FsmRig rig;
  ToExited(rig);
  CHECK(rig.Start() == Effects{effect::Publish(State::kExited, State::kStarting, "start requested"),
                               effect::CheckDependencies()});
  CHECK_FALSE(rig.status().ready);
}

TEST_CASE("Commands: EXITED + stop -> STOPPED", "[lifecycle][commands]") {
  FsmRig rig;
  ToExited(rig);
  CHECK(rig.Stop() == Effects{effect::Publish(State::kExited, State::kStopped, "stop requested")});
  CHECK_FALSE(rig.status().ready);
}

TEST_CASE("Commands: EXITED + restart -> as start", "[lifecycle][commands]") {
  FsmRig rig;
  ToExited(rig);
  CHECK(rig.Restart() == Effects{effect::Publish(State::kExited, State::kStarting, "start requested"),
                                 effect::CheckDependencies()});
}

// --- FATAL ---
TEST_CASE("Commands: FATAL + start -> STARTING, failure count and start limit reset",
          "[lifecycle][commands]") {
  FsmRig rig;
  ToFatal(rig);
  REQUIRE(rig.state() == State::kFatal);
  CHECK(rig.Start() == Effects{effect::Publish(State::kFatal, State::kStarting, "start requested"),
                               effect::CheckDependencies()});
  CHECK(rig.status().consecutive_failures == 0);
  CHECK(rig.status().error.empty());
  rig.DependenciesMet();
  rig.Spawned();
  rig.Exit(ExitStatus::Code(1));
  CHECK(rig.state() == State::kBackoff);  // a fresh series of 6 attempts
}

TEST_CASE("Commands: FATAL + stop -> STOPPED, the reason stays", "[lifecycle][commands]") {
  FsmRig rig;
  ToFatal(rig);
  CHECK(rig.Stop() == Effects{effect::Publish(State::kFatal, State::kStopped, "stop requested")});
  CHECK(rig.status().error == "failed to start 6 times: exited with code 1");
  CHECK(rig.status().exits.records().size() == 6);
}

TEST_CASE("Commands: FATAL + restart -> as start", "[lifecycle][commands]") {
  FsmRig rig;
  ToFatal(rig);
  CHECK(rig.Restart() == Effects{effect::Publish(State::kFatal, State::kStarting, "start requested"),
                                 effect::CheckDependencies()});
}

// --- across the table ---
TEST_CASE("Commands: kill_group = false -> stop signals the leader only", "[lifecycle][commands]") {
  auto spec = TestSpec();
  spec.kill_group = false;
  FsmRig rig(spec);
  rig.ToRunning();
  CHECK(Has(rig.Stop(), effect::Kill(SIGTERM, false)));
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, false)});
}

TEST_CASE("Commands: stop that needed SIGKILL -> recorded, cleared by the next graceful stop",
          "[lifecycle][commands]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Stop();
  CHECK(rig.Fire() == Effects{effect::Kill(SIGKILL, true)});
  rig.Exit(ExitStatus::Signal(SIGKILL));
  CHECK(rig.state() == State::kStopped);
  CHECK(rig.status().sigkill_needed);
  rig.ToRunning();
  rig.Stop();
  rig.Exit(ExitStatus::Code(0));
  CHECK_FALSE(rig.status().sigkill_needed);
}

}  // namespace
}  // namespace sup::daemon::testing
