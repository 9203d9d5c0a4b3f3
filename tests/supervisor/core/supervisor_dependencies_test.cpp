// The Supervisor's dependency rules (SPEC §4 "Start order", "Dependencies"), driven through a
// FakeRunner: a dependant is spawned only once each condition holds for every instance of
// its dependency, and goes FATAL when a dependency fails.
#include <catch2/catch.hpp>

#include "supervisor_rig.h"

using namespace sup::daemon;
using namespace sup::daemon::testing;

TEST_CASE("Supervisor: a \"started\" dependency holds once the dependency has exec'd",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
[program.api]
command = ["api"]
depends_on = { db = "started" }
)");
  rig.supervisor->StartAutostart();
  REQUIRE(rig.Spawned("db"));
  CHECK(rig.Spawned("api"));  // db is STARTING with a pid: that is enough
  CHECK(rig.StateOf("db") == State::kStarting);
  CHECK(rig.StateOf("api") == State::kStarting);
}

TEST_CASE("Supervisor: a \"ready\" dependency waits for RUNNING and ready", "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
start_seconds = "2s"
[program.api]
command = ["api"]
depends_on = ["db"]
)");
  rig.supervisor->StartAutostart();
  REQUIRE(rig.Spawned("db"));
  CHECK_FALSE(rig.Spawned("api"));
  CHECK(rig.Get("api").waiting_for() == "db: ready");
  rig.runner.Advance(1s);
  CHECK_FALSE(rig.Spawned("api"));
  rig.runner.Advance(1s);  // db's start_seconds elapsed: RUNNING
  CHECK(rig.StateOf("db") == State::kRunning);
  CHECK(rig.Spawned("api"));
  CHECK(rig.Get("api").waiting_for().empty());
}

TEST_CASE("Supervisor: a dependency with ready = \"notify\" holds at READY=1",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
ready = "notify"
[program.api]
command = ["api"]
depends_on = { db = "ready" }
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(5s);  // time alone never makes a notify program ready
  CHECK_FALSE(rig.Spawned("api"));
  NotifyMessage ready;
  ready.pid = rig.PidOf("db");
  ready.ready = true;
  REQUIRE(rig.supervisor->OnNotify(ready));
  CHECK(rig.StateOf("db") == State::kRunning);
  CHECK(rig.Spawned("api"));
  NotifyMessage stranger;
  stranger.pid = 4242;
  stranger.ready = true;
  CHECK_FALSE(rig.supervisor->OnNotify(stranger));  // nobody's pid: rejected
}

TEST_CASE("Supervisor: a dependency with ready = \"health\" holds at its first passing check",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
ready = "health"
[program.db.health]
tcp = "127.0.0.1:5432"
[program.api]
command = ["api"]
depends_on = { db = "ready" }
)");
  rig.supervisor->StartAutostart();
  REQUIRE(rig.runner.ProbesRunning());
  rig.runner.Probe(false, "connect refused");
  CHECK_FALSE(rig.Spawned("api"));
  CHECK(rig.StateOf("db") == State::kStarting);
  rig.runner.Probe(true, "connected");
  CHECK(rig.StateOf("db") == State::kRunning);
  CHECK(rig.Get("db").fsm().status().health == Health::kHealthy);
  CHECK(rig.Spawned("api"));
}

TEST_CASE("Supervisor: a \"completed\" dependency holds once every instance exited with success",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.migrate]
command = ["migrate"]
restart = "never"
instances = 2
[program.api]
command = ["api"]
depends_on = { migrate = "completed" }
)");
  rig.supervisor->StartAutostart();
  CHECK_FALSE(rig.Spawned("api"));
  rig.Exit("migrate:0", 0);
  CHECK_FALSE(rig.Spawned("api"));  // every instance must have completed
  CHECK(rig.Get("api").waiting_for() == "migrate: completed");
  rig.Exit("migrate:1", 0);
  CHECK(rig.StateOf("migrate:1") == State::kExited);
  CHECK(rig.Spawned("api"));
}

TEST_CASE("Supervisor: a dependency that fails makes its waiting dependant FATAL, unspawned",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.migrate]
command = ["migrate"]
restart = "never"
[program.api]
command = ["api"]
depends_on = { migrate = "completed" }
[program.web]
command = ["web"]
depends_on = { migrate = "started" }
)");
  rig.supervisor->StartAutostart();
  CHECK(rig.Spawned("web"));  // "started" does not care how it ended
  rig.Exit("migrate", 3);
  CHECK(rig.StateOf("api") == State::kFatal);
  CHECK(rig.Get("api").fsm().status().error == "dependency migrate failed: exit 3");
  CHECK_FALSE(rig.Spawned("api"));
}

TEST_CASE("Supervisor: starting a dependant starts its stopped dependencies first",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
autostart = false
[program.api]
command = ["api"]
autostart = false
depends_on = ["db"]
)");
  rig.supervisor->StartAutostart();
  CHECK(rig.runner.spawns.empty());
  rig.Start("api");
  CHECK(rig.Spawned("db"));
  CHECK_FALSE(rig.Spawned("api"));
  rig.runner.Advance(1s);  // db RUNNING after the default start_seconds
  CHECK(rig.Spawned("api"));
}

TEST_CASE("Supervisor: an instance says what it waits for: dependencies, READY=1, failing checks",
          "[core][dependencies]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
ready = "notify"
[program.api]
command = ["api"]
depends_on = ["db"]
[program.checked]
command = ["checked"]
[program.checked.health]
tcp = "127.0.0.1:5432"
retries = 3
on_unhealthy = "mark"
)");
  rig.supervisor->StartAutostart();
  CHECK(rig.Get("api").WaitingFor() == "db: ready");
  CHECK(rig.Get("db").WaitingFor() == "READY=1");
  rig.runner.Advance(2s);  // past any start_seconds: checked is RUNNING, its checks running
  REQUIRE(rig.StateOf("checked") == State::kRunning);
  CHECK(rig.Get("checked").WaitingFor().empty());
  rig.runner.Probe(false, "connect refused");
  CHECK(rig.Get("checked").WaitingFor() == "unhealthy 1/3");
  CHECK(rig.Get("checked").health().detail() == "connect refused");
  rig.runner.Probe(true, "connected");
  CHECK(rig.Get("checked").WaitingFor().empty());
}
