// Spawner: output capture, exec errors and PATH lookup, with real fake_worker processes.
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "process/environment.h"
#include "process_test_support.h"

namespace sup::daemon {
namespace {

using testing::ProcessFixture;
using testing::ProcStartTicks;
using testing::ReadToEof;
using testing::TempDir;
using testing::WorkerRequest;

void WriteFile(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

bool NoChildLeft() {
  int status = 0;
  return waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

TEST_CASE("Spawner: stdout and stderr are captured on separate pipes", "[process][spawner]") {
  ProcessFixture fx;
  REQUIRE(fx.started());
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"print:out-line", "eprint:err-line", "exit:0"}), &exit);
  REQUIRE(child);
  CHECK(child->pid > 0);
  REQUIRE(child->stdout_read.valid());
  REQUIRE(child->stderr_read.valid());
  CHECK((fcntl(child->stdout_read.get(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((fcntl(child->stdout_read.get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((fcntl(child->stderr_read.get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(ReadToEof(child->stdout_read.get()) == "out-line\n");
  CHECK(ReadToEof(child->stderr_read.get()) == "err-line\n");
  REQUIRE(fx.WaitExit(exit));
  CHECK(*exit == ExitStatus::Code(0));
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the child's start time is known without reading /proc, and is the kernel's", "[process][spawner]") {
  ProcessFixture fx;
  int known = 0;
  for (int i = 0; i < 40; ++i) {
    auto child = fx.Spawn(WorkerRequest({"forever"}));
    REQUIRE(child);
    if (child->start_ticks == 0) continue;  // a tick boundary fell inside the bracket
    ++known;
    CHECK(child->start_ticks == ProcStartTicks(child->pid));
  }
  // A boundary falls inside the bracket in about 1 spawn in 200 on a quiet machine; a loaded
  // one can preempt the spawn between the two readings, so only "mostly" is checked.
  CHECK(known >= 10);
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: merge_stderr sends both streams down one pipe in order", "[process][spawner]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"print:first", "eprint:second", "print:third"});
  request.merge_stderr = true;
  auto child = fx.Spawn(request);
  REQUIRE(child);
  CHECK_FALSE(child->stderr_read.valid());
  CHECK(ReadToEof(child->stdout_read.get()) == "first\nsecond\nthird\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a large burst of output arrives complete", "[process][spawner]") {
  ProcessFixture fx;
  auto child = fx.Spawn(WorkerRequest({"lines:20000:L"}));
  REQUIRE(child);
  const std::string out = ReadToEof(child->stdout_read.get());
  CHECK(out.size() == 20000 * 8);
  CHECK(out.substr(0, 8) == "L000001\n");
  CHECK(out.substr(out.size() - 8) == "L020000\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a missing program fails with the exec error text and not as exit 127", "[process][spawner]") {
  ProcessFixture fx;
  SpawnRequest request;
  request.argv = {"/nonexistent"};
  auto child = fx.spawner().Spawn(request);
  REQUIRE_FALSE(child);
  CHECK(child.error().Message() == "exec /nonexistent: No such file or directory");
  CHECK(child.error().sys == ENOENT);
  CHECK(NoChildLeft());  // the failed child was reaped by Spawn itself
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a file without execute permission fails with EACCES", "[process][spawner]") {
  ProcessFixture fx;
  TempDir dir;
  const auto script = dir.path() / "not-executable";
  WriteFile(script, "#!/bin/sh\nexit 0\n", 0644);
  SpawnRequest request;
  request.argv = {script.string()};
  auto child = fx.spawner().Spawn(request);
  REQUIRE_FALSE(child);
  CHECK(child.error().Message() == "exec " + script.string() + ": Permission denied");
  CHECK(NoChildLeft());
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a bad working directory fails with the chdir error", "[process][spawner]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"exit:0"});
  request.directory = "/nonexistent-dir";
  auto child = fx.spawner().Spawn(request);
  REQUIRE_FALSE(child);
  CHECK(child.error().Message() == "chdir /nonexistent-dir: No such file or directory");
  CHECK(NoChildLeft());
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the working directory is applied", "[process][spawner]") {
  ProcessFixture fx;
  TempDir dir;
  auto request = WorkerRequest({"pwd"});
  request.directory = dir.path().string();
  auto child = fx.Spawn(request);
  REQUIRE(child);
  CHECK(ReadToEof(child->stdout_read.get()) == "pwd=" + dir.path().string() + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a bare command name is looked up in the child's PATH", "[process][spawner]") {
  ProcessFixture fx;
  TempDir dir;
  const auto first = dir.path() / "a";
  const auto second = dir.path() / "b";
  std::filesystem::create_directories(first);
  std::filesystem::create_directories(second);
  // execvp semantics: a non-executable match earlier in PATH does not hide a later one.
  WriteFile(first / "my-worker", "not a program", 0644);
  std::filesystem::create_symlink(FAKE_WORKER, second / "my-worker");
  SpawnRequest request;
  request.argv = {"my-worker", "print:found"};
  request.env = {"PATH=/nonexistent:" + first.string() + ":" + second.string()};
  auto child = fx.Spawn(request);
  REQUIRE(child);
  CHECK(ReadToEof(child->stdout_read.get()) == "found\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a bare name found nowhere in PATH reports ENOENT", "[process][spawner]") {
  ProcessFixture fx;
  TempDir dir;
  SpawnRequest request;
  request.argv = {"sup-no-such-program"};
  request.env = {"PATH=" + dir.path().string() + ":/nonexistent"};
  auto child = fx.spawner().Spawn(request);
  REQUIRE_FALSE(child);
  CHECK(child.error().Message() == "exec sup-no-such-program: No such file or directory");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a bare name that only matches a non-executable file reports EACCES",
          "[process][spawner]") {
  ProcessFixture fx;
  TempDir dir;
  WriteFile(dir.path() / "my-tool", "data", 0644);
  SpawnRequest request;
  request.argv = {"my-tool"};
  request.env = {"PATH=/nonexistent:" + dir.path().string()};
  auto child = fx.spawner().Spawn(request);
  REQUIRE_FALSE(child);
  CHECK(child.error().Message() == "exec my-tool: Permission denied");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: without PATH in the environment the default PATH is searched", "[process][spawner]") {
  ProcessFixture fx;
  SpawnRequest request;
  request.argv = {"sh", "-c", "echo via-default-path"};
  auto child = fx.Spawn(request);
  REQUIRE(child);
  CHECK(ReadToEof(child->stdout_read.get()) == "via-default-path\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: an empty command is refused before forking", "[process][spawner]") {
  ProcessFixture fx;
  auto child = fx.spawner().Spawn(SpawnRequest{});
  REQUIRE_FALSE(child);
  CHECK(child.error().code == ErrorCode::kInvalidConfig);
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: two pass_fds with the same target are refused", "[process][spawner]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"fds"});
  request.pass_fds = {{0, 5}, {1, 5}};
  auto child = fx.spawner().Spawn(request);
  REQUIRE_FALSE(child);
  CHECK(child.error().code == ErrorCode::kInvalidConfig);
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a nofile limit too small for the program's needs still lets it exec",
          "[process][spawner]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"rlimit:nofile"});
  request.limits.nofile = 8;
  auto child = fx.Spawn(request);
  REQUIRE(child);
  CHECK(ReadToEof(child->stdout_read.get()).rfind("rlimit nofile=8:", 0) == 0);
  REQUIRE(fx.Close());
}

TEST_CASE("Kill: signals the process group and the Reaper reports the signal", "[process][spawner]") {
  ProcessFixture fx;
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"print:up", "forever"}), &exit);
  REQUIRE(child);
  CHECK(testing::ReadLine(child->stdout_read.get()) == "up");
  REQUIRE(Kill(child->pid, SIGTERM, true));
  REQUIRE(fx.WaitExit(exit));
  CHECK(*exit == ExitStatus::Signal(SIGTERM));
  REQUIRE(fx.Close());
}

TEST_CASE("Kill: a pid that is gone yields an ESRCH error naming the target", "[process][spawner]") {
  ProcessFixture fx;
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(WorkerRequest({"exit:0"}), &exit);
  REQUIRE(child);
  REQUIRE(fx.WaitExit(exit));
  const auto result = Kill(child->pid, SIGTERM, false);
  REQUIRE_FALSE(result);
  CHECK(result.error().sys == ESRCH);
  CHECK(result.error().context == "signal 15 to pid " + std::to_string(child->pid));
  REQUIRE(fx.Close());
}

TEST_CASE("Kill: pid 0 or below is refused without sending anything", "[process][spawner]") {
  CHECK_FALSE(Kill(0, 0, true));
  CHECK_FALSE(Kill(-1, 0, false));
  CHECK_FALSE(GroupAlive(0));
}

}  // namespace
}  // namespace sup::daemon
