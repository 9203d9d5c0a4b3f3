// Spawner: what the child starts with (fds, signals, session, umask, limits, credentials,
// environment), observed from inside a real fake_worker.
#include <sys/mman.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "process/environment.h"
#include "process_test_support.h"

namespace sup::daemon {
namespace {

using testing::ProcessFixture;
using testing::ReadToEof;
using testing::TempDir;
using testing::WorkerRequest;

// Spawns fake_worker with `actions` and returns its whole stdout.
std::string Output(ProcessFixture& fx, SpawnRequest request) {
  auto child = fx.Spawn(request);
  if (!child) return "spawn failed: " + child.error().Message();
  return ReadToEof(child->stdout_read.get());
}

TEST_CASE("Spawner: the child sees only fds 0-2 even when supd leaks one without CLOEXEC",
          "[process][child]") {
  ProcessFixture fx;
  UniqueFd leaked(open("/dev/null", O_RDONLY));  // deliberately without O_CLOEXEC
  REQUIRE(leaked.valid());
  CHECK(Output(fx, WorkerRequest({"fds"})) == "fds: 0 1 2\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: pass_fds arrive at their numbers and nothing else does", "[process][child]") {
  ProcessFixture fx;
  UniqueFd page(memfd_create("sup-counters-test", MFD_CLOEXEC));
  REQUIRE(page.valid());
  auto request = WorkerRequest({"fds"});
  request.pass_fds = {{page.get(), 3}, {page.get(), 7}};
  CHECK(Output(fx, request) == "fds: 0 1 2 3 7\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a child of a supd holding a thousand fds gets none of them", "[process][child]") {
  ProcessFixture fx;
  std::vector<UniqueFd> held;
  for (int i = 0; i < 1000; ++i) {
    held.emplace_back(open("/dev/null", O_RDONLY | (i % 2 ? O_CLOEXEC : 0)));
    REQUIRE(held.back().valid());
  }
  CHECK(Output(fx, WorkerRequest({"fds"})) == "fds: 0 1 2\n");
  for (const auto& fd : held) CHECK(fcntl(fd.get(), F_GETFD) >= 0);  // supd's own are untouched
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: more pass_fds than it has slots for still arrive, and nothing else does",
          "[process][child]") {
  ProcessFixture fx;
  std::vector<UniqueFd> filler;  // puts the sources above 64, where they would be parked
  for (int i = 0; i < 100; ++i) filler.emplace_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  std::vector<UniqueFd> pages;
  auto request = WorkerRequest({"fds"});
  std::string expected = "fds: 0 1 2";
  for (int target = 3; target < 3 + static_cast<int>(Spawner::kFdSlots) + 2; ++target) {
    pages.emplace_back(memfd_create("sup-counters-test", MFD_CLOEXEC));
    REQUIRE(pages.back().valid());
    request.pass_fds.push_back({pages.back().get(), target});
    expected += " " + std::to_string(target);
  }
  CHECK(Output(fx, request) == expected + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a pass_fd whose target is another source's number is not clobbered",
          "[process][child]") {
  ProcessFixture fx;
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // write_end goes to read_end's number and vice versa: a naive dup2 order would lose one.
  auto request = WorkerRequest({"fds"});
  request.pass_fds = {{read_end.get(), write_end.get()}, {write_end.get(), read_end.get()}};
  const int low = std::min(fds[0], fds[1]), high = std::max(fds[0], fds[1]);
  CHECK(Output(fx, request) ==
        "fds: 0 1 2 " + std::to_string(low) + " " + std::to_string(high) + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: stdin is /dev/null by default and stdin_fd when given", "[process][child]") {
  ProcessFixture fx;
  CHECK(Output(fx, WorkerRequest({"stdin"})) == "stdin: 0 bytes\n");

  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  REQUIRE(write(write_end.get(), "hello", 5) == 5);
  write_end.reset();
  auto request = WorkerRequest({"stdin"});
  request.stdin_fd = read_end.get();
  CHECK(Output(fx, request) == "stdin: 5 bytes\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: without capture_output the child inherits supd's stdout unchanged",
          "[process][child]") {
  ProcessFixture fx;
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  UniqueFd saved_stdout(fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
  REQUIRE(dup2(write_end.get(), STDOUT_FILENO) == STDOUT_FILENO);
  auto request = WorkerRequest({"print:inherited"});
  request.capture_output = false;
  auto child = fx.Spawn(request);
  dup2(saved_stdout.get(), STDOUT_FILENO);
  write_end.reset();
  REQUIRE(child);
  CHECK_FALSE(child->stdout_read.valid());
  CHECK(ReadToEof(read_end.get()) == "inherited\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the child has an empty mask and default dispositions though supd blocks and ignores",
          "[process][child]") {
  ProcessFixture fx;
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  REQUIRE(sigprocmask(SIG_BLOCK, &block, &previous) == 0);
  struct sigaction ignore {}, old_pipe {}, old_usr2 {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  sigaction(SIGUSR2, &ignore, &old_usr2);

  const std::string out = Output(fx, WorkerRequest({"sigmask", "sigign"}));

  sigaction(SIGPIPE, &old_pipe, nullptr);
  sigaction(SIGUSR2, &old_usr2, nullptr);
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  CHECK(out == "sigmask=0000000000000000\nsigign=0000000000000000\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the child leads a new session by default", "[process][child]") {
  ProcessFixture fx;
  auto child = fx.Spawn(WorkerRequest({"pgid"}));
  REQUIRE(child);
  const std::string pid = std::to_string(child->pid);
  CHECK(ReadToEof(child->stdout_read.get()) == "pgid=" + pid + " sid=" + pid + " pid=" + pid + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: without new_session the child leads a process group in supd's session",
          "[process][child]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"pgid"});
  request.new_session = false;
  auto child = fx.Spawn(request);
  REQUIRE(child);
  const std::string pid = std::to_string(child->pid);
  CHECK(ReadToEof(child->stdout_read.get()) ==
        "pgid=" + pid + " sid=" + std::to_string(getsid(0)) + " pid=" + pid + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: umask is applied", "[process][child]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"umask"});
  request.umask = 027;
  CHECK(Output(fx, request) == "umask=0027\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the child gets supd's original limits and not ones supd changed later",
          "[process][child]") {
  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  REQUIRE(original.rlim_cur > 64);
  ProcessFixture fx;  // captures the original limits
  rlimit changed = original;
  changed.rlim_cur = original.rlim_cur - 1;  // lowering is always allowed
  REQUIRE(setrlimit(RLIMIT_NOFILE, &changed) == 0);
  const std::string out = Output(fx, WorkerRequest({"rlimit:nofile"}));
  setrlimit(RLIMIT_NOFILE, &original);
  auto show = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  CHECK(out == "rlimit nofile=" + show(original.rlim_cur) + ":" + show(original.rlim_max) + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: as root the child gets supd's original oom_score_adj back", "[process][child]") {
  if (geteuid() != 0) {
    WARN("not root: lowering oom_score_adj back needs CAP_SYS_RESOURCE");
    return;
  }
  const auto original = OriginalLimits::Capture();
  REQUIRE_FALSE(original.oom_score_adj.empty());
  ProcessFixture fx;
  const int changed = std::stoi(original.oom_score_adj) < 900 ? std::stoi(original.oom_score_adj) + 100 : 0;
  auto write_own = [](const std::string& value) {
    std::ofstream("/proc/self/oom_score_adj") << value << std::endl;
  };
  write_own(std::to_string(changed));
  SpawnRequest request;
  request.argv = {"/bin/cat", "/proc/self/oom_score_adj"};
  const std::string out = Output(fx, request);
  write_own(original.oom_score_adj);
  CHECK(out == original.oom_score_adj + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the program's limits are applied on top", "[process][child]") {
  rlimit nproc{};
  REQUIRE(getrlimit(RLIMIT_NPROC, &nproc) == 0);
  const rlim_t wanted = nproc.rlim_max == RLIM_INFINITY || nproc.rlim_max > 4096 ? 4096 : nproc.rlim_max;
  ProcessFixture fx;
  // (core is not shown here: a sanitizer-built fake_worker resets its own core limit.)
  auto request = WorkerRequest({"rlimit:nofile", "rlimit:nproc"});
  request.limits.nofile = 100;
  request.limits.nproc = wanted;
  const std::string out = Output(fx, request);
  CHECK(out.find("rlimit nofile=100:") != std::string::npos);
  CHECK(out.find("rlimit nproc=" + std::to_string(wanted) + ":") != std::string::npos);
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: the environment is exactly the request's plus WATCHDOG_PID when asked",
          "[process][child]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"env:SUP_TEST_VALUE", "env:HOME", "env:WATCHDOG_PID", "pid"});
  request.env = {"SUP_TEST_VALUE=a=b c", "PATH=/usr/bin:/bin"};
  request.watchdog_pid = true;
  auto child = fx.Spawn(request);
  REQUIRE(child);
  const std::string pid = std::to_string(child->pid);
  CHECK(ReadToEof(child->stdout_read.get()) ==
        "SUP_TEST_VALUE=a=b c\nHOME unset\nWATCHDOG_PID=" + pid + "\npid=" + pid + "\n");
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: as root a user drops to it with its supplementary groups",
          "[process][child]") {
  if (geteuid() != 0) {
    WARN("not root: user switching needs a root supd");
    return;
  }
  auto nobody = LookupUser("nobody");
  REQUIRE(nobody);
  ProcessFixture fx;
  TempDir dir;  // fake_worker may sit in a directory nobody cannot enter: run a copy
  const auto worker = dir.path() / "worker";
  std::filesystem::copy_file(FAKE_WORKER, worker);
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  std::filesystem::permissions(worker, std::filesystem::perms(0755));
  SpawnRequest request;
  request.argv = {worker.string(), "ids"};
  request.uid = nobody->uid;
  request.gid = nobody->gid;
  request.user = nobody->name;
  const std::string out = Output(fx, request);
  const std::string uid = std::to_string(nobody->uid), gid = std::to_string(nobody->gid);
  CHECK(out.rfind("uid=" + uid + " euid=" + uid + " gid=" + gid + " egid=" + gid + " groups=", 0) == 0);
  CHECK(out.find(",0\n") == std::string::npos);  // root's group is gone
  CHECK(out.find("groups=0") == std::string::npos);
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a user drop that cannot happen is reported and never runs as the wrong user",
          "[process][child]") {
  ProcessFixture fx;
  auto request = WorkerRequest({"ids"});
  if (geteuid() == 0) {
    // A directory root may enter and nobody may not: chdir runs after setuid, so it fails.
    TempDir dir;
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0700));
    request.directory = dir.path().string();
    request.uid = 65534;
    request.gid = 65534;
    auto child = fx.spawner().Spawn(request);
    REQUIRE_FALSE(child);
    CHECK(child.error().Message() == "chdir " + dir.path().string() + ": Permission denied");
  } else {
    request.uid = geteuid() + 1;
    auto child = fx.spawner().Spawn(request);
    REQUIRE_FALSE(child);
    CHECK(child.error().Message() == "setuid " + std::to_string(geteuid() + 1) + ": Operation not permitted");
  }
  REQUIRE(fx.Close());
}

}  // namespace
}  // namespace sup::daemon
