// Spawner in cgroup mode (SPEC §9.2): the child is born in the cgroup it is given (clone3 with
// CLONE_INTO_CGROUP), or joins it before exec where clone3 is refused; either way the program's
// first instruction runs in it. Needs a writable cgroup v2 directory: skipped (with a warning)
// where the test's own cgroup offers none.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>

#include "process/clone_into_cgroup.h"
#include "process_test_support.h"

namespace sup::daemon {
namespace {

using testing::ProcessFixture;
using testing::ReadToEof;
using testing::TempDir;
using testing::WorkerRequest;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A child cgroup of the test's own (the `0::` line of /proc/self/cgroup under a writable cgroup2
// mount of the whole hierarchy), removed at the end.
class TestCgroup {
 public:
  TestCgroup() {
    std::istringstream self(ReadAll("/proc/self/cgroup"));
    std::string own;
    for (std::string line; std::getline(self, line);)
      if (line.rfind("0::", 0) == 0) own = line.substr(3);
    std::istringstream mounts(ReadAll("/proc/self/mountinfo"));
    for (std::string line; std::getline(mounts, line) && own.size() > 0 && path_.empty();) {
      std::istringstream fields(line);
      std::string id, parent, dev, root, point, options, word;
      fields >> id >> parent >> dev >> root >> point >> options;
      while (fields >> word && word != "-") {
      }
      std::string type;
      fields >> type;
      if (type != "cgroup2" || root != "/" || options.rfind("rw", 0) != 0) continue;
      relative_ = (own == "/" ? "" : own) + "/sup-spawner-test." + std::to_string(getpid());
      if (mkdir((point + relative_).c_str(), 0755) == 0) path_ = point + relative_;
    }
    if (!path_.empty()) fd_ = open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  ~TestCgroup() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) rmdir(path_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // What /proc/<pid>/cgroup says of a process in it.
  std::string Line() const { return "0::" + relative_ + "\n"; }

 private:
  std::string path_;
  std::string relative_;
  int fd_ = -1;
};

SpawnRequest CatOwnCgroup(const TestCgroup& cgroup) {
  SpawnRequest request;
  request.argv = {"cat", "/proc/self/cgroup"};  // the exec'd program's first act
  request.env = {"PATH=/usr/bin:/bin"};
  request.cgroup_fd = cgroup.fd();
  request.cgroup = cgroup.path();
  return request;
}

// Spawns `cat /proc/self/cgroup` and returns its output; `born` says how it got there.
std::string RunCat(ProcessFixture& fx, const TestCgroup& cgroup, bool& born) {
  std::optional<ExitStatus> exit;
  auto child = fx.Spawn(CatOwnCgroup(cgroup), &exit);
  REQUIRE(child);
  born = child->born_in_cgroup;
  std::string out = ReadToEof(child->stdout_read.get());
  REQUIRE(fx.WaitExit(exit));
  CHECK(*exit == ExitStatus::Code(0));
  return out;
}

#define SKIP_WITHOUT_CGROUP(cgroup)                         \
  if (!(cgroup).ok()) {                                     \
    WARN("no writable cgroup v2 directory here: skipped");  \
    return;                                                 \
  }

TEST_CASE("Spawner: a child given a cgroup runs its first instruction in it", "[process][spawner][cgroup]") {
  TestCgroup cgroup;
  SKIP_WITHOUT_CGROUP(cgroup);
  ProcessFixture fx;
  REQUIRE(fx.started());
  bool born = false;
  CHECK(RunCat(fx, cgroup, born).find(cgroup.Line()) != std::string::npos);
#if !defined(__SANITIZE_THREAD__)  // ThreadSanitizer forks, and forked children join
  // Born there unless this kernel refuses clone3's CLONE_INTO_CGROUP (then it stops trying).
  CHECK((born || !fx.spawner().clone_into_cgroup()));
#endif

  SECTION("where clone3 is refused, the child joins through cgroup.procs before exec") {
    fx.spawner().set_clone_into_cgroup(false);
    CHECK(RunCat(fx, cgroup, born).find(cgroup.Line()) != std::string::npos);
    CHECK_FALSE(born);
  }
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a child born in its cgroup still reports its start time", "[process][spawner][cgroup]") {
  TestCgroup cgroup;
  SKIP_WITHOUT_CGROUP(cgroup);
  ProcessFixture fx;
  int known = 0;
  for (int i = 0; i < 40; ++i) {
    auto request = WorkerRequest({"forever"});
    request.cgroup_fd = cgroup.fd();
    request.cgroup = cgroup.path();
    auto child = fx.Spawn(request);
    REQUIRE(child);
    if (child->start_ticks == 0) continue;  // a tick boundary fell inside the bracket
    ++known;
    CHECK(child->start_ticks == testing::ProcStartTicks(child->pid));
  }
  CHECK(known >= 10);  // as in spawner_test: a loaded machine preempts some brackets
  REQUIRE(fx.Close());
}

TEST_CASE("Spawner: a directory that is no cgroup fails the spawn naming it", "[process][spawner][cgroup]") {
  ProcessFixture fx;
  TempDir dir;
  const int fd = open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  SpawnRequest request = WorkerRequest({"exit:0"});
  request.cgroup_fd = fd;
  request.cgroup = dir.path().string();
  auto child = fx.Spawn(request);
  close(fd);
  REQUIRE_FALSE(child);
  CHECK(child.error().Message().find(dir.path().string() + "/cgroup.procs") != std::string::npos);
  CHECK(fx.spawner().clone_into_cgroup());  // EBADF is this directory's fault, not the kernel's
  REQUIRE(fx.Close());
}

TEST_CASE("CloneIntoCgroupUnsupported: only a kernel's or sandbox's refusal turns clone3 off", "[process][cgroup]") {
  for (int error : {ENOSYS, E2BIG, EINVAL, EPERM}) CHECK(CloneIntoCgroupUnsupported(error));
  for (int error : {EAGAIN, ENOMEM, EBADF, EBUSY, EOPNOTSUPP, EACCES}) CHECK_FALSE(CloneIntoCgroupUnsupported(error));
}

}  // namespace
}  // namespace sup::daemon
