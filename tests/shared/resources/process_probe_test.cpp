// ProcessProbe on fixture trees (members from a cgroup's cgroup.procs or from a /proc scan,
// memory.current, the identity check, the descriptor budget) and on real processes (a held
// /proc descriptor reads nothing once its process is reaped).
#include "resources/process_probe.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "proc_fixture.h"

namespace fs = std::filesystem;
using namespace sup::resources;
using sup::resources::testing::FixtureProc;
using sup::resources::testing::StatLine;

namespace {

const long kTick = sysconf(_SC_CLK_TCK);
const std::uint64_t kPage = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

ProbeTarget Target(pid_t pid, pid_t pgid, std::uint64_t start_ticks = 12345) {
  ProbeTarget t;
  t.pid = pid;
  t.pgid = pgid;
  t.start_ticks = start_ticks;
  return t;
}

}  // namespace

TEST_CASE("ProcessProbe without a cgroup: its group's sums from the scan, the main process's fds",
          "[resources][probe]") {
  FixtureProc proc("probe-group");
  proc.Add(50, StatLine(50, "leader", 'S', 50, 3 * kTick, 0, 2, 100));
  proc.Add(51, StatLine(51, "main", 'S', 50, kTick, 0, 2, 100), 4);  // MAINPID= of the group
  proc.Add(60, StatLine(60, "other", 'S', 60, 9 * kTick, 0, 9, 900));
  const ProcTable table = ProcTable::Scan(proc.root.string());
  ProcessProbe probe(Target(51, 50), nullptr, proc.root.string());
  const auto r = probe.Read(&table);
  REQUIRE(r);
  CHECK(r->cpu_s == Approx(4.0));  // the main process counted once, with its group
  CHECK(r->threads == 4);
  CHECK(r->processes == 2);
  CHECK(r->rss_bytes == 200 * kPage);
  CHECK(r->fds == 4);
  // Without a table (no scan asked): the main process alone.
  ProcessProbe alone(Target(51, 50), nullptr, proc.root.string());
  const auto a = alone.Read(nullptr);
  REQUIRE(a);
  CHECK(a->cpu_s == Approx(1.0));
  CHECK(a->processes == 1);
}

TEST_CASE("ProcessProbe in cgroup mode: members from cgroup.procs, memory.current, nothing else",
          "[resources][probe]") {
  FixtureProc proc("probe-cgroup");
  proc.Add(70, StatLine(70, "main", 'S', 70, 2 * kTick, kTick, 3, 100), 6);
  proc.Add(71, StatLine(71, "escaped", 'S', 71, kTick, 0, 1, 50));  // setsid: its own group
  proc.Add(72, StatLine(72, "zombie", 'Z', 70, 5 * kTick, 0, 1, 0));
  proc.Add(80, StatLine(80, "not ours", 'S', 70, 9 * kTick, 0, 9, 900));  // same group, not listed
  const fs::path cgroup = proc.root / "cg";
  fs::create_directories(cgroup);
  std::ofstream(cgroup / "cgroup.procs") << "70\n71\n72\n99\n";  // 99: gone meanwhile
  ProbeTarget target = Target(70, 70);
  target.cgroup_dir = cgroup.string();
  {
    ProcessProbe probe(target, nullptr, proc.root.string());
    const auto r = probe.Read(nullptr);
    REQUIRE(r);
    CHECK(r->cpu_s == Approx(4.0));
    CHECK(r->threads == 4);
    CHECK(r->processes == 2);
    CHECK(r->rss_bytes == 150 * kPage);
    CHECK(r->fds == 6);
  }
  std::ofstream(cgroup / "memory.current") << "123456789\n";
  target.cgroup_memory = true;
  auto budget = std::make_shared<FdBudget>(100);
  ProcessProbe probe(target, budget, proc.root.string());
  REQUIRE(probe.Read(nullptr));
  CHECK(probe.Read(nullptr)->rss_bytes == 123456789u);
  CHECK(probe.held() == 4);  // stat, fd, cgroup.procs, memory.current
  CHECK(budget->held() == 4);
  // A held cgroup.procs is read again from its start: a member that joins is counted.
  std::ofstream(cgroup / "cgroup.procs") << "70\n71\n80\n";
  CHECK(probe.Read(nullptr)->threads == 13);
}

TEST_CASE("ProcessProbe refuses a process that is not the one spawned", "[resources][probe]") {
  FixtureProc proc("probe-identity");
  proc.Add(90, StatLine(90, "reused", 'S', 90, kTick, 0, 1, 10, /*ppid=*/1, /*start=*/999));
  ProcessProbe other_start(Target(90, 90, 12345), nullptr, proc.root.string());
  CHECK_FALSE(other_start.Read(nullptr));
  // Once refused, for good: its pid is not read again.
  proc.Add(90, StatLine(90, "reused", 'S', 90, kTick, 0, 1, 10, 1, 12345));
  CHECK_FALSE(other_start.Read(nullptr));

  ProbeTarget by_parent = Target(90, 90, 0);  // start time unknown: supd must be the parent
  by_parent.parent = 4242;
  CHECK_FALSE(ProcessProbe(by_parent, nullptr, proc.root.string()).Read(nullptr));
  by_parent.parent = 1;
  CHECK(ProcessProbe(by_parent, nullptr, proc.root.string()).Read(nullptr));
  // A MAINPID= (no parent to check): it must be in the instance's group.
  CHECK_FALSE(ProcessProbe(Target(90, 91, 0), nullptr, proc.root.string()).Read(nullptr));
  CHECK(ProcessProbe(Target(90, 90, 0), nullptr, proc.root.string()).Read(nullptr));
  CHECK_FALSE(ProcessProbe(Target(12345, 12345), nullptr, proc.root.string()).Read(nullptr));
}

TEST_CASE("ProcessProbe holds descriptors only within its budget, and gives them back",
          "[resources][probe]") {
  FixtureProc proc("probe-budget");
  proc.Add(40, StatLine(40, "main", 'S', 40, kTick, 0, 1, 10), 2);
  auto budget = std::make_shared<FdBudget>(3);
  auto first = std::make_unique<ProcessProbe>(Target(40, 40), budget, proc.root.string());
  REQUIRE(first->Read(nullptr));
  CHECK(first->held() == 2);  // stat and fd
  ProcessProbe second(Target(40, 40), budget, proc.root.string());
  const auto r = second.Read(nullptr);  // 2 more do not fit: read by path, the same figures
  REQUIRE(r);
  CHECK(r->fds == 2);
  CHECK(second.held() == 0);
  CHECK(budget->held() == 2);
  first.reset();
  CHECK(budget->held() == 0);
}

TEST_CASE("ProcessProbe on a real child: figures while it runs, nothing once it is reaped",
          "[resources][probe]") {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setpgid(0, 0);
    pause();
    _exit(0);
  }
  setpgid(child, child);
  const auto stat = ReadProcStat(child);
  REQUIRE(stat);
  ProbeTarget target = Target(child, child, stat->start_ticks);
  target.parent = getpid();
  auto budget = std::make_shared<FdBudget>(10);
  ProcessProbe probe(target, budget);
  const auto r = probe.Read(nullptr);
  REQUIRE(r);
  CHECK(r->threads == 1);
  CHECK(r->rss_bytes > 0);
  CHECK(r->fds >= 3);
  CHECK(probe.held() == 2);
  kill(child, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK_FALSE(probe.Read(nullptr));  // the held descriptor reads ESRCH, never a new process
}
