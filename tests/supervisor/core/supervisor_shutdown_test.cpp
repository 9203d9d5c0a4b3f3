// The Supervisor's graceful shutdown (SPEC §4 "Stopping", §7): waves with dependants first,
// the exit-code policy (0 clean, 1 something SIGKILLed, 3 on_fatal) and on_fatal itself.
#include <catch2/catch.hpp>

#include "supervisor_rig.h"

using namespace sup::daemon;
using namespace sup::daemon::testing;

namespace {

// db <- api <- web, and cache on its own.
constexpr const char* kChain = R"(
[supervisor]
shutdown_timeout = "60s"
[program.db]
command = ["db"]
[program.api]
command = ["api"]
depends_on = ["db"]
[program.web]
command = ["web"]
depends_on = ["api"]
[program.cache]
command = ["cache"]
)";

void RunAll(SupervisorRig& rig) {
  rig.supervisor->StartAutostart();
  for (int level = 0; level < 3; ++level) rig.runner.Advance(1s);  // each level RUNNING in turn
  for (const char* name : {"db", "api", "web", "cache"})
    REQUIRE(rig.StateOf(name) == State::kRunning);
}

}  // namespace

TEST_CASE("Supervisor: shutdown stops in waves, dependants first, and exits 0 when all went clean",
          "[core][shutdown]") {
  SupervisorRig rig(kChain);
  RunAll(rig);
  const pid_t db = rig.PidOf("db"), api = rig.PidOf("api"), web = rig.PidOf("web"),
              cache = rig.PidOf("cache");
  rig.supervisor->BeginShutdown("test");
  // First wave: what nothing depends on.
  CHECK(rig.runner.Signalled(web, SIGTERM));
  CHECK(rig.runner.Signalled(cache, SIGTERM));
  CHECK_FALSE(rig.runner.Signalled(api, SIGTERM));
  CHECK_FALSE(rig.runner.Signalled(db, SIGTERM));
  rig.Exit("web", 0);
  CHECK(rig.runner.Signalled(api, SIGTERM));
  CHECK_FALSE(rig.runner.Signalled(db, SIGTERM));
  rig.Exit("cache", 0);
  rig.Exit("api", 0);
  CHECK(rig.runner.Signalled(db, SIGTERM));
  CHECK_FALSE(rig.shutdown_done);
  rig.Exit("db", 0);
  CHECK(rig.shutdown_done);
  CHECK(rig.supervisor->ShutdownExitCode() == 0);
  CHECK(rig.StateOf("db") == State::kStopped);
  // Nothing is started any more.
  rig.Start("web");
  CHECK(rig.StateOf("web") == State::kStopped);
}

TEST_CASE("Supervisor: shutdown exits 1 when a stop had to escalate to SIGKILL", "[core][shutdown]") {
  SupervisorRig rig(R"(
[program.db]
command = ["db"]
stop_timeout = "3s"
[program.web]
command = ["web"]
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  const pid_t db = rig.PidOf("db");
  rig.supervisor->BeginShutdown("test");
  rig.Exit("web", 0);
  rig.runner.Advance(3s);  // db ignores SIGTERM: its stop_timeout elapses
  REQUIRE(rig.runner.Signalled(db, SIGKILL));
  REQUIRE(rig.runner.Exit(db, ExitStatus::Signal(SIGKILL)));
  CHECK(rig.shutdown_done);
  CHECK(rig.supervisor->ShutdownExitCode() == 1);
}

TEST_CASE("Supervisor: shutdown_timeout SIGKILLs everything left and exits 1", "[core][shutdown]") {
  SupervisorRig rig(R"(
[supervisor]
shutdown_timeout = "5s"
[program.db]
command = ["db"]
stop_timeout = "1h"
[program.api]
command = ["api"]
depends_on = ["db"]
stop_timeout = "1h"
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(2s);
  const pid_t db = rig.PidOf("db"), api = rig.PidOf("api");
  rig.supervisor->BeginShutdown("test");
  rig.runner.Advance(4s);
  CHECK_FALSE(rig.runner.Signalled(api, SIGKILL));
  rig.runner.Advance(1s);  // shutdown_timeout: db, still waiting for its wave, is killed too
  CHECK(rig.runner.Signalled(api, SIGKILL));
  CHECK(rig.runner.Signalled(db, SIGKILL));
  rig.runner.Exit(api, ExitStatus::Signal(SIGKILL));
  rig.runner.Exit(db, ExitStatus::Signal(SIGKILL));
  CHECK(rig.shutdown_done);
  CHECK(rig.supervisor->ShutdownExitCode() == 1);
}

TEST_CASE("Supervisor: on_fatal = \"shutdown\" shuts supd down with exit code 3", "[core][on_fatal]") {
  SupervisorRig rig(R"(
[program.job]
command = ["job"]
restart = "never"
on_fatal = "shutdown"
[program.web]
command = ["web"]
stop_timeout = "2s"
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  const pid_t web = rig.PidOf("web");
  rig.Exit("job", 1);  // a one-shot that EXITED failed
  REQUIRE(rig.supervisor->shutting_down());
  CHECK(rig.runner.Signalled(web, SIGTERM));
  rig.runner.Advance(2s);  // SIGKILL too: on_fatal's 3 comes first
  REQUIRE(rig.runner.Exit(web, ExitStatus::Signal(SIGKILL)));
  CHECK(rig.shutdown_done);
  CHECK(rig.supervisor->ShutdownExitCode() == 3);
}

TEST_CASE("Supervisor: on_fatal = \"shutdown\" fires at FATAL after the start retries",
          "[core][on_fatal]") {
  SupervisorRig rig(R"(
[program.flaky]
command = ["flaky"]
start_retries = 1
on_fatal = "shutdown"
[program.calm]
command = ["calm"]
start_retries = 1
)");
  rig.supervisor->StartAutostart();
  // Both fail to start (exit before start_seconds), go BACKOFF, and retry once.
  rig.Exit("calm", 1);
  rig.Exit("flaky", 1);
  CHECK(rig.StateOf("flaky") == State::kBackoff);
  rig.runner.Advance(500ms);  // past the first backoff delay (100ms, with jitter)
  rig.Exit("calm", 1);  // calm (on_fatal = "ignore") goes FATAL: supd keeps running
  REQUIRE(rig.StateOf("calm") == State::kFatal);
  CHECK_FALSE(rig.supervisor->shutting_down());
  rig.Exit("flaky", 1);
  CHECK(rig.StateOf("flaky") == State::kFatal);
  CHECK(rig.supervisor->shutting_down());
  CHECK(rig.shutdown_done);  // nothing was left running
  CHECK(rig.supervisor->ShutdownExitCode() == 3);
}
