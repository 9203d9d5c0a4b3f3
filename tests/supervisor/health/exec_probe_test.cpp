// HealthChecker with exec probes: real commands through the Spawner and Reaper, the timeout
// cut, Stop during a probe, the schedule and reload. Every loop ends closable.
#include <catch2/catch.hpp>

#include "health/exec_probe.h"
#include "health_test_support.h"

namespace sup::daemon {
namespace {

using namespace testing;

TEST_CASE("HealthChecker exec: /bin/true -> pass with exit 0", "[health][exec]") {
  HealthFixture fx;
  REQUIRE(fx.started());
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/true"}), results);
  checker->Start();
  CHECK(checker->running());
  CHECK(results.empty());  // Start never reports from inside
  REQUIRE(fx.WaitResults(results, 1));
  CHECK(results[0].passed);
  CHECK(results[0].detail == "exit 0");
  CHECK_FALSE(checker->probing());
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: /bin/false -> failure with exit 1", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/false"}), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "exit 1");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: a failing command's last output line -> in the detail", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/sh", "-c", "echo first; echo 'db: down' >&2; exit 3"}), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "exit 3: db: down");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: a command writing a lot -> never blocks and passes", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  // 1 MiB, far beyond a pipe's buffer: the output must be drained, not left to fill up.
  auto checker = fx.Checker(ExecTarget({"/bin/sh", "-c", "head -c 1048576 /dev/zero"}), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK(results[0].passed);
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: a missing command -> failure naming the exec error", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/nonexistent/sup-health-probe"}), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail.find("/nonexistent/sup-health-probe") != std::string::npos);
  CHECK(results[0].detail.find("No such file") != std::string::npos);
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: a hanging command -> cut at the timeout, its group killed", "[health][exec]") {
  HealthFixture fx;
  TempDir dir;
  const std::string pid_file = dir.File("pid");
  const std::string child_file = dir.File("child");
  std::vector<ProbeResult> results;
  // The shell and a background sleep share the probe's process group: both must die.
  auto checker = fx.Checker(
      ExecTarget({"/bin/sh", "-c", "echo $$ > " + pid_file + "; sleep 10 & echo $! > " + child_file + "; wait"},
                 std::chrono::milliseconds(3000)),
      results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  const pid_t pid = ReadPid(pid_file);
  const pid_t child = ReadPid(child_file);
  fx.Track(pid);
  fx.Track(child);
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "timed out after 3s");
  REQUIRE(pid > 0);
  REQUIRE(child > 0);
  CHECK(RunUntil(fx.loop(), [&] { return !Alive(pid); }));  // killed, then reaped by the Reaper
  CHECK(RunUntil(fx.loop(), [&] { return !Alive(child); }));  // the orphan: dead (maybe a zombie)
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: /bin/sleep 10 with a 200ms timeout -> failure, no later result", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/sleep", "10"}, std::chrono::milliseconds(200)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "timed out after 200ms");
  // The killed sleep is reaped silently: no second result (the interval is a minute).
  CHECK(RunUntil(fx.loop(), [&] { return fx.reaper().watched_count() == 0; }));
  CHECK(results.size() == 1);
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: Stop during a probe -> command killed, no result", "[health][exec]") {
  HealthFixture fx;
  TempDir dir;
  const std::string pid_file = dir.File("pid");
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/sh", "-c", "echo $$ > " + pid_file + "; exec sleep 10"}), results);
  checker->Start();
  REQUIRE(RunUntil(fx.loop(), [&] { return ReadPid(pid_file) > 0; }));
  const pid_t pid = ReadPid(pid_file);
  fx.Track(pid);
  CHECK(checker->probing());
  checker->Stop();
  checker->Stop();  // twice is fine
  CHECK_FALSE(checker->running());
  CHECK_FALSE(checker->probing());
  CHECK(RunUntil(fx.loop(), [&] { return !Alive(pid); }));
  CHECK(results.empty());
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: destroyed during a probe -> command killed, no result", "[health][exec]") {
  HealthFixture fx;
  TempDir dir;
  const std::string pid_file = dir.File("pid");
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/sh", "-c", "echo $$ > " + pid_file + "; exec sleep 10"}), results);
  checker->Start();
  REQUIRE(RunUntil(fx.loop(), [&] { return ReadPid(pid_file) > 0; }));
  const pid_t pid = ReadPid(pid_file);
  fx.Track(pid);
  checker.reset();
  CHECK(RunUntil(fx.loop(), [&] { return !Alive(pid); }));
  CHECK(results.empty());
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: running -> probes again every interval after the previous one", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/true"}, std::chrono::seconds(10), std::chrono::milliseconds(20)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 3));
  for (const auto& r : results) CHECK(r.passed);
  checker->Stop();
  const size_t seen = results.size();
  RunUntil(fx.loop(), [] { return false; }, std::chrono::milliseconds(100));  // a stopped checker stays quiet
  CHECK(results.size() == seen);  // nothing after Stop
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: Update -> the new command applies from the next probe", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/true"}, std::chrono::seconds(10), std::chrono::milliseconds(20)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  checker->Update(ExecTarget({"/bin/false"}, std::chrono::seconds(10), std::chrono::milliseconds(20)));
  REQUIRE(fx.WaitResults(results, 3));
  CHECK(results[0].passed);
  CHECK_FALSE(results.back().passed);
  CHECK(results.back().detail == "exit 1");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: Update to no check -> checks end after the current probe", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(ExecTarget({"/bin/true"}, std::chrono::seconds(10), std::chrono::milliseconds(20)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  checker->Update(HealthTarget{});
  REQUIRE(RunUntil(fx.loop(), [&] { return !checker->running(); }));
  const size_t seen = results.size();
  RunUntil(fx.loop(), [] { return false; }, std::chrono::milliseconds(100));
  CHECK(results.size() == seen);
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker exec: the result callback destroys the checker -> safe", "[health][exec]") {
  HealthFixture fx;
  int calls = 0;
  std::unique_ptr<HealthChecker> checker;
  checker = std::make_unique<HealthChecker>(fx.loop(), fx.spawner(), fx.reaper(), ExecTarget({"/bin/true"}),
                                            [&](bool, const std::string&) {
                                              ++calls;
                                              checker.reset();
                                            });
  checker->Start();
  REQUIRE(RunUntil(fx.loop(), [&] { return calls == 1; }));
  CHECK(checker == nullptr);
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker: a kNone target -> Start does nothing", "[health][exec]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HealthTarget{}, results);
  checker->Start();
  CHECK_FALSE(checker->running());
  RunUntil(fx.loop(), [] { return false; }, std::chrono::milliseconds(50));
  CHECK(results.empty());
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("ExecProbe: destroyed before the exit -> the Reaper still reaps it silently", "[health][exec]") {
  HealthFixture fx;
  bool called = false;
  auto probe = std::make_unique<ExecProbe>(fx.loop(), fx.spawner(), fx.reaper(), ExecTarget({"/bin/sleep", "10"}));
  REQUIRE(probe->Start([&](bool, const std::string&) { called = true; }));
  const pid_t pid = probe->pid();
  fx.Track(pid);
  REQUIRE(fx.reaper().Watching(pid));
  probe.reset();
  CHECK(fx.reaper().Watching(pid));  // a no-op watch replaces the probe's own
  CHECK(RunUntil(fx.loop(), [&] { return !fx.reaper().Watching(pid); }));
  CHECK_FALSE(Alive(pid));
  CHECK_FALSE(called);
  REQUIRE(fx.Close());
}

}  // namespace
}  // namespace sup::daemon
