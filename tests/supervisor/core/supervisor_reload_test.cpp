// Supervisor::ApplyReload (SPEC §6 "Reload"): added programs start, removed ones are stopped
// and dropped once gone, a change to what the process is restarts it, other keys apply in
// place, and instance counts grow and shrink (highest index first).
#include <catch2/catch.hpp>

#include "supervisor_rig.h"

using namespace sup::daemon;
using namespace sup::daemon::testing;

namespace {

int CountSpawns(const FakeRunner& runner, const std::string& argv0) {
  int n = 0;
  for (const auto& r : runner.spawns) n += r.argv.at(0) == argv0;
  return n;
}

}  // namespace

TEST_CASE("Supervisor reload: an added program starts, a removed one stops and is dropped once gone",
          "[core][reload]") {
  SupervisorRig rig(R"(
[program.old]
command = ["old"]
[program.keep]
command = ["keep"]
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  const pid_t old_pid = rig.PidOf("old"), keep_pid = rig.PidOf("keep");
  rig.Reload(R"(
[program.keep]
command = ["keep"]
[program.new]
command = ["new"]
)");
  CHECK(rig.Spawned("new"));
  CHECK(rig.runner.Signalled(old_pid, SIGTERM));
  CHECK_FALSE(rig.runner.Signalled(keep_pid, SIGTERM));
  CHECK(rig.PidOf("keep") == keep_pid);
  CHECK_FALSE(rig.supervisor->Select({"old"}));  // no longer a program
  CHECK(rig.supervisor->AllInstances().size() == 2);
  // The retired instance lives until its process is gone, then is swept.
  CHECK(rig.runner.Watching(old_pid));
  REQUIRE(rig.runner.Exit(old_pid, 0));
  rig.runner.RunDue();
  CHECK_FALSE(rig.runner.Watching(old_pid));
}

TEST_CASE("Supervisor reload: a changed command restarts the running instance with the new one",
          "[core][reload]") {
  SupervisorRig rig(R"(
[program.web]
command = ["web-v1"]
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  const pid_t v1 = rig.PidOf("web");
  rig.Reload(R"(
[program.web]
command = ["web-v2"]
)");
  CHECK(rig.runner.Signalled(v1, SIGTERM));
  REQUIRE(rig.runner.Exit(v1, ExitStatus::Signal(SIGTERM)));
  CHECK(rig.Spawned("web-v2"));
  CHECK(rig.PidOf("web") != v1);
  CHECK(rig.Get("web").spec().command == std::vector<std::string>{"web-v2"});
}

TEST_CASE("Supervisor reload: a key that applies in place keeps the pid and is used from then on",
          "[core][reload]") {
  SupervisorRig rig(R"(
[program.web]
command = ["web"]
stop_timeout = "10s"
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  const pid_t pid = rig.PidOf("web");
  rig.Reload(R"(
[program.web]
command = ["web"]
stop_timeout = "2s"
)");
  CHECK(rig.runner.signals.empty());
  CHECK(rig.PidOf("web") == pid);
  rig.supervisor->Stop({&rig.Get("web")});
  REQUIRE(rig.runner.Signalled(pid, SIGTERM));
  rig.runner.Advance(2s);  // the new stop_timeout, not the old one
  CHECK(rig.runner.Signalled(pid, SIGKILL));
}

TEST_CASE("Supervisor reload: instances shrink from the highest index and grow with new starts",
          "[core][reload]") {
  SupervisorRig rig(R"(
[program.web]
command = ["web"]
instances = 3
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  const pid_t w0 = rig.PidOf("web:0"), w1 = rig.PidOf("web:1"), w2 = rig.PidOf("web:2");
  rig.Reload(R"(
[program.web]
command = ["web"]
instances = 1
)");
  CHECK_FALSE(rig.runner.Signalled(w0, SIGTERM));
  REQUIRE(rig.runner.signals.size() == 2);
  CHECK(rig.runner.signals[0].pid == w2);  // web:2 before web:1
  CHECK(rig.runner.signals[1].pid == w1);
  CHECK(rig.PidOf("web") == w0);
  rig.runner.Exit(w1, ExitStatus::Signal(SIGTERM));
  rig.runner.Exit(w2, ExitStatus::Signal(SIGTERM));
  rig.runner.RunDue();
  const int before = CountSpawns(rig.runner, "web");
  rig.Reload(R"(
[program.web]
command = ["web"]
instances = 2
)");
  CHECK(CountSpawns(rig.runner, "web") == before + 1);
  CHECK(rig.PidOf("web:0") == w0);
  CHECK(rig.StateOf("web:1") == State::kStarting);
}

TEST_CASE("Supervisor reload: every kept instance reads the new snapshot, the old one is released",
          "[core][reload][snapshot]") {
  SupervisorRig rig(R"(
[program.keep]
command = ["keep"]
[program.tuned]
command = ["tuned"]
stop_timeout = "10s"
[program.gone]
command = ["gone"]
)");
  rig.supervisor->StartAutostart();
  rig.runner.Advance(1s);
  std::weak_ptr<const sup::conf::Config> first = rig.supervisor->snapshot();
  const pid_t gone = rig.PidOf("gone");
  rig.Reload(R"(
[program.keep]
command = ["keep"]
[program.tuned]
command = ["tuned"]
stop_timeout = "2s"
)");
  const sup::conf::Config& now = rig.supervisor->config();
  REQUIRE(first.lock().get() != &now);
  // Views into the current snapshot, for the untouched program as for the updated one: no
  // instance keeps a copy of its own.
  CHECK(&rig.Get("keep").spec() == now.FindProgram("keep"));
  CHECK(&rig.Get("tuned").spec() == now.FindProgram("tuned"));
  CHECK(&rig.Get("tuned").fsm().spec() == now.FindProgram("tuned"));
  // The retired instance still runs on the snapshot it was made from...
  CHECK_FALSE(first.expired());
  REQUIRE(rig.runner.Exit(gone, 0));
  rig.runner.RunDue();  // ...until it is swept
  CHECK(first.expired());
}
