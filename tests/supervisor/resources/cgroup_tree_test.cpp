// InstanceCgroup on plain directories shaped like cgroups (the files it reads and writes are
// opened, never created): limits written only when they change, the membership list read in
// small steps (a pid across two reads), cgroup.events and memory.events read.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "resources/cgroup_tree.h"

namespace fs = std::filesystem;
using namespace sup::daemon::resources;

namespace {

// A temp directory and its O_RDONLY descriptor (as CgroupTree holds its base's).
class Base {
 public:
  Base() {
    std::string pattern = (fs::temp_directory_path() / "sup-cgroup-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
    fd_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  ~Base() {
    close(fd_);
    fs::remove_all(path_);
  }
  int fd() const { return fd_; }
  const fs::path& path() const { return path_; }
  void Write(const std::string& file, const std::string& text) const { std::ofstream(path_ / file) << text; }
  // Empties a file, as a cgroup file reads before it is written (writes do not truncate).
  void Clear(const std::string& file) const { Write(file, ""); }
  std::string Read(const std::string& file) const {
    std::ifstream in(path_ / file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

// A child that waits for a signal with the default dispositions (not the test runner's
// handlers), returned once it has them.
pid_t Sleeper() {
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGKILL, SIG_DFL);
    (void)write(ready[1], "r", 1);
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  (void)read(ready[0], &byte, 1);
  close(ready[0]);
  return pid;
}

int ExitSignal(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

}  // namespace

TEST_CASE("InstanceCgroup: limits are written when they change, \"max\" when taken off", "[resources][cgroup]") {
  Base base;
  fs::create_directory(base.path() / "web");
  base.Write("web/memory.max", "max");
  base.Write("web/cpu.max", "max 100000");
  InstanceCgroup cgroup(base.fd(), base.path().string(), "web", true, true, true);
  sup::conf::ProgramSpec spec;
  REQUIRE(cgroup.ApplyLimits(spec));  // fresh: nothing to write
  CHECK(base.Read("web/memory.max") == "max");
  CHECK_FALSE(cgroup.memory());
  spec.memory_max = 1 << 20;
  spec.cpu_max = 50;
  base.Clear("web/memory.max");
  base.Clear("web/cpu.max");
  REQUIRE(cgroup.ApplyLimits(spec));
  CHECK(base.Read("web/memory.max") == "1048576");
  CHECK(base.Read("web/cpu.max") == "50000 100000");
  CHECK(cgroup.memory());
  base.Write("web/memory.max", "untouched");
  REQUIRE(cgroup.ApplyLimits(spec));  // a restart with the same spec writes nothing
  CHECK(base.Read("web/memory.max") == "untouched");
  spec.memory_max = 0;
  base.Clear("web/memory.max");
  REQUIRE(cgroup.ApplyLimits(spec));
  CHECK(base.Read("web/memory.max") == "max");
  CHECK_FALSE(cgroup.memory());

  SECTION("a directory found rather than made has its limits written once") {
    InstanceCgroup found(base.fd(), base.path().string(), "web", true, false, false);
    base.Clear("web/memory.max");
    REQUIRE(found.ApplyLimits(spec));
    CHECK(base.Read("web/memory.max") == "max");
  }
  SECTION("a limit the kernel refuses fails naming the file") {
    fs::remove(base.path() / "web/memory.max");
    spec.memory_max = 4096;
    auto r = cgroup.ApplyLimits(spec);
    REQUIRE_FALSE(r);
    CHECK(r.error().Message().find((base.path() / "web/memory.max").string()) != std::string::npos);
  }
}

TEST_CASE("InstanceCgroup: populated and the OOM count come from their files", "[resources][cgroup]") {
  Base base;
  fs::create_directory(base.path() / "job");
  InstanceCgroup cgroup(base.fd(), base.path().string(), "job", true, false, true);
  CHECK_FALSE(cgroup.Populated());  // no file: as good as empty
  base.Write("job/cgroup.events", "populated 1\nfrozen 0\n");
  CHECK(cgroup.Populated());
  base.Write("job/cgroup.events", "populated 0\nfrozen 0\n");
  CHECK_FALSE(cgroup.Populated());
  base.Write("job/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
  CHECK(cgroup.OomKills() == 0);  // no memory_max: not the kernel's to enforce
  base.Write("job/memory.max", "max");
  sup::conf::ProgramSpec spec;
  spec.memory_max = 1 << 20;
  REQUIRE(cgroup.ApplyLimits(spec));
  CHECK(cgroup.OomKills() == 2);
}

TEST_CASE("InstanceCgroup: a signal reaches every listed pid outside the signalled group", "[resources][cgroup]") {
  Base base;
  fs::create_directory(base.path() / "svc");
  const pid_t straddling = Sleeper();
  const pid_t padding = Sleeper();
  const pid_t in_group = Sleeper();
  setpgid(in_group, in_group);
  // One pid across the 512-byte reads, and the group's member, which must be left alone.
  std::string procs;
  const std::string pad = std::to_string(padding) + "\n";
  while (procs.size() + pad.size() < 510) procs += pad;
  procs += std::string(510 - procs.size(), '\n');
  procs += std::to_string(straddling) + "\n" + std::to_string(in_group) + "\n";
  base.Write("svc/cgroup.procs", procs);
  InstanceCgroup cgroup(base.fd(), base.path().string(), "svc", false, false, true);
  cgroup.Signal(SIGTERM, in_group);
  CHECK(ExitSignal(straddling) == SIGTERM);
  CHECK(ExitSignal(padding) == SIGTERM);
  kill(in_group, 0);
  CHECK(waitpid(in_group, nullptr, WNOHANG) == 0);  // still running
  kill(in_group, SIGKILL);
  CHECK(ExitSignal(in_group) == SIGKILL);

  SECTION("SIGKILL goes through cgroup.kill alone where there is one") {
    base.Write("svc/cgroup.kill", "");
    cgroup.Signal(SIGKILL, 0);
    CHECK(base.Read("svc/cgroup.kill") == "1");
  }
}
