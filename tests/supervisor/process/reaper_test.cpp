// Reaper: exits reach the callback registered for their pid; orphans the orphan handler;
// nothing else reaps. Real children, a real uv loop, bounded waits.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <map>

#include "process_test_support.h"

namespace sup::daemon {
namespace {

using testing::ProcessFixture;
using testing::ReadLine;
using testing::ReadToEof;
using testing::RunUntil;
using testing::WorkerRequest;

TEST_CASE("ExitStatusFromWait: codes and signals and core dumps are told apart", "[process][reaper]") {
  CHECK(ExitStatusFromWait(W_EXITCODE(3, 0)) == ExitStatus::Code(3));
  CHECK(ExitStatusFromWait(W_EXITCODE(0, 0)) == ExitStatus::Code(0));
  CHECK(ExitStatusFromWait(W_EXITCODE(0, SIGKILL)) == ExitStatus::Signal(SIGKILL));
  CHECK(ExitStatusFromWait(W_EXITCODE(0, SIGSEGV) | WCOREFLAG) == ExitStatus::Signal(SIGSEGV, true));
}

TEST_CASE("Reaper: an exit code reaches the callback of its pid", "[process][reaper]") {
  ProcessFixture fx;
  REQUIRE(fx.started());
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"exit:3"}), &exit);
  REQUIRE(child);
  CHECK(fx.reaper().Watching(child->pid));
  REQUIRE(fx.WaitExit(exit));
  CHECK(*exit == ExitStatus::Code(3));
  CHECK_FALSE(fx.reaper().Watching(child->pid));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: death by a signal is reported as that signal", "[process][reaper]") {
  ProcessFixture fx;
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"kill:KILL"}), &exit);
  REQUIRE(child);
  REQUIRE(fx.WaitExit(exit));
  CHECK(*exit == ExitStatus::Signal(SIGKILL));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: a trapped TERM exits with the program's own code", "[process][reaper]") {
  ProcessFixture fx;
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"trapexit:TERM:7", "print:armed", "forever"}), &exit);
  REQUIRE(child);
  REQUIRE(ReadLine(child->stdout_read.get()) == "armed");
  REQUIRE(Kill(child->pid, SIGTERM, false));
  REQUIRE(fx.WaitExit(exit));
  CHECK(*exit == ExitStatus::Code(7));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: many children exiting together are each reported once", "[process][reaper]") {
  ProcessFixture fx;
  std::map<pid_t, int> codes;
  std::map<pid_t, int> calls;
  for (int i = 0; i < 20; ++i) {
    auto child = fx.spawner().Spawn(WorkerRequest({"exit:" + std::to_string(i)}));
    REQUIRE(child);
    fx.Track(child->pid);
    codes[child->pid] = i;
    fx.reaper().Watch(child->pid, [&calls, &codes, pid = child->pid](ExitStatus status) {
      ++calls[pid];
      CHECK(status == ExitStatus::Code(codes[pid]));
    });
  }
  REQUIRE(RunUntil(fx.loop(), [&] { return calls.size() == codes.size(); }));
  for (const auto& [pid, count] : calls) CHECK(count == 1);
  CHECK(fx.reaper().watched_count() == 0);
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: a callback may spawn and watch the next child (a restart)", "[process][reaper]") {
  ProcessFixture fx;
  std::optional<ExitStatus> second_exit;
  bool restarted = false;
  auto first = fx.spawner().Spawn(WorkerRequest({"exit:1"}));
  REQUIRE(first);
  fx.Track(first->pid);
  fx.reaper().Watch(first->pid, [&](ExitStatus) {
    auto second = fx.Spawn(WorkerRequest({"exit:2"}), &second_exit);
    restarted = static_cast<bool>(second);
  });
  REQUIRE(fx.WaitExit(second_exit));
  CHECK(restarted);
  CHECK(*second_exit == ExitStatus::Code(2));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: an unwatched child goes to the orphan handler", "[process][reaper]") {
  ProcessFixture fx;
  std::map<pid_t, ExitStatus> orphans;
  fx.reaper().SetOrphanHandler([&](pid_t pid, ExitStatus status) { orphans[pid] = status; });
  auto child = fx.spawner().Spawn(WorkerRequest({"exit:5"}));
  REQUIRE(child);
  fx.Track(child->pid);
  REQUIRE(RunUntil(fx.loop(), [&] { return orphans.count(child->pid) == 1; }));
  CHECK(orphans[child->pid] == ExitStatus::Code(5));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: as subreaper a program's orphaned grandchild is reaped too", "[process][reaper]") {
  REQUIRE(BecomeSubreaper());
  ProcessFixture fx;
  std::map<pid_t, ExitStatus> orphans;
  fx.reaper().SetOrphanHandler([&](pid_t pid, ExitStatus status) { orphans[pid] = status; });
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"orphan:300", "exit:0"}), &exit);
  REQUIRE(child);
  const std::string line = ReadToEof(child->stdout_read.get());
  REQUIRE(line.rfind("orphan=", 0) == 0);
  const pid_t orphan = std::stoi(line.substr(7));
  fx.Track(orphan);
  REQUIRE(RunUntil(fx.loop(), [&] { return exit.has_value() && orphans.count(orphan) == 1; }));
  CHECK(orphans[orphan] == ExitStatus::Code(0));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: ReapNow drains children that ended while the loop was not running", "[process][reaper]") {
  ProcessFixture fx;
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"exit:4"}), &exit);
  REQUIRE(child);
  ReadToEof(child->stdout_read.get());  // EOF: the child has exited (or is about to)
  int reaped = 0;
  for (int i = 0; i < 1500 && reaped == 0; ++i) {
    reaped = fx.reaper().ReapNow();
    if (reaped == 0) usleep(10'000);
  }
  CHECK(reaped == 1);
  REQUIRE(exit.has_value());
  CHECK(*exit == ExitStatus::Code(4));
  REQUIRE(fx.Close());
}

TEST_CASE("GroupAlive: true while any member lives and false once all are reaped", "[process][reaper]") {
  REQUIRE(BecomeSubreaper());  // the grandchild's zombie must come to us, not to init
  ProcessFixture fx;
  int orphans = 0;
  fx.reaper().SetOrphanHandler([&](pid_t, ExitStatus) { ++orphans; });
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"grandchild", "forever"}), &exit);
  REQUIRE(child);
  const std::string line = ReadLine(child->stdout_read.get());
  REQUIRE(line.rfind("grandchild=", 0) == 0);
  fx.Track(std::stoi(line.substr(11)));

  REQUIRE(Kill(child->pid, SIGKILL, false));  // the leader only
  REQUIRE(fx.WaitExit(exit));
  CHECK(GroupAlive(child->pid));  // the grandchild is still in the group

  REQUIRE(Kill(child->pid, SIGKILL, true));
  REQUIRE(RunUntil(fx.loop(), [&] { return orphans == 1; }));
  CHECK_FALSE(GroupAlive(child->pid));
  REQUIRE(fx.Close());
}

TEST_CASE("Reaper: a watcher stopped and destroyed leaves no handle behind", "[process][reaper]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    Reaper reaper(loop);
    REQUIRE(reaper.Start());
    reaper.Stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  REQUIRE(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace sup::daemon
