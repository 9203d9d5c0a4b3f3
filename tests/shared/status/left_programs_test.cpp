// The pieces of SPEC §9.1's "Crash of supd" and "Status segment ownership" that need no daemon:
// process start times, trusting what is under the segment's name, and finding
// and stopping the programs a dead supd left.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "shm_test_util.h"
#include "status/left_programs.h"
#include "status/proc_stat.h"
#include "status/segment_reader.h"
#include "status/status_segment.h"

using namespace sup::daemon;
using sup::daemon::testing::DeadPid;
using sup::daemon::testing::ShmName;

namespace {

// A child in its own process group that sleeps until killed (or exits 0 on `exit_on`).
pid_t SleepingChild(int exit_on = 0) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (exit_on != 0) signal(exit_on, [](int) { _exit(0); });
    for (;;) pause();
  }
  setpgid(pid, pid);
  return pid;
}

int Reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

Snapshot DeadSupdSnapshot(std::vector<SlotData> slots) {
  Snapshot snap;
  snap.info.supd_pid = DeadPid();
  std::uint32_t i = 0;
  for (auto& d : slots) snap.slots.push_back({i++, std::move(d)});
  return snap;
}

SlotData Recorded(const std::string& name, pid_t pid, std::uint64_t ticks) {
  SlotData d;
  d.name = name;
  d.pid = pid;
  d.pid_start_ticks = ticks;
  d.stop_timeout_ms = 200;
  return d;
}

}  // namespace

TEST_CASE("ParseStartTicks: field 22, after a command name with spaces and parens", "[status][crash]") {
  const std::string tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21\n";
  CHECK(ParseStartTicks("42 (sleep)" + tail) == 987654u);
  CHECK(ParseStartTicks("42 (a) b (c) d)" + tail) == 987654u);
  CHECK_FALSE(ParseStartTicks("42 (sleep) S 1 2"));
  CHECK_FALSE(ParseStartTicks("no parens at all"));
  CHECK_FALSE(ParseStartTicks("42 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 12x 20"));
}

TEST_CASE("ProcStartTicks: ours is stable, a dead pid has none", "[status][crash]") {
  const auto mine = ProcStartTicks(getpid());
  REQUIRE(mine);
  CHECK(ProcStartTicks(getpid()) == mine);
  CHECK_FALSE(ProcStartTicks(DeadPid()));
  CHECK(ProcessGone(DeadPid(), 0));
  CHECK_FALSE(ProcessGone(getpid(), *mine));
  CHECK(ProcessGone(getpid(), *mine + 1));  // the pid, reused by another process
}

TEST_CASE("StatusSegment: a world-writable object under the name -> removed, never read", "[status][owner]") {
  ShmName shm;
  // A valid header naming a live supd (a sleeping child): trusted, it would be a refusal.
  const pid_t child = SleepingChild();
  {
    auto planted = StatusSegment::Create(shm.name, 0600, 1);
    REQUIRE(planted);
    const int fd = shm_open(shm.name.c_str(), O_RDWR, 0);
    REQUIRE(fd >= 0);
    REQUIRE(fchmod(fd, 0666) == 0);
    auto* h = static_cast<sup_status_header*>(
        mmap(nullptr, sizeof(sup_status_header), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    close(fd);
    REQUIRE(h != MAP_FAILED);
    h->supd_pid = child;
    h->supd_start_ticks = 0;
    munmap(h, sizeof(sup_status_header));
    // Left behind under the name, as a stranger's object would be: the segment's destructor
    // unlinks the name, so a second link keeps the object and takes the name back after it.
    const std::string path = "/dev/shm" + shm.name, kept = path + ".kept";
    REQUIRE(link(path.c_str(), kept.c_str()) == 0);
    planted->reset();
    REQUIRE(rename(kept.c_str(), path.c_str()) == 0);
  }
  Takeover found;
  auto seg = StatusSegment::Create(shm.name, 0640, 1, &found);
  REQUIRE(seg);
  CHECK(found.replaced_foreign.find("mode 0666") != std::string::npos);
  CHECK_FALSE(found.abandoned);
  auto snap = ReadNamedSegment(shm.name);
  REQUIRE(snap);
  CHECK(snap->info.supd_pid == getpid());
  kill(child, SIGKILL);
  Reap(child);
}

TEST_CASE("StatusSegment: a trusted segment of a dead supd -> handed over as abandoned", "[status][crash]") {
  ShmName shm;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto seg = StatusSegment::Create(shm.name, 0600, 1);
    SlotData d = Recorded("web", 4242, 77);
    if (!seg || !(*seg)->Publish(0, d)) _exit(1);
    _exit(0);  // dies without unlinking
  }
  REQUIRE(WEXITSTATUS(Reap(child)) == 0);
  Takeover found;
  auto seg = StatusSegment::Create(shm.name, 0600, 1, &found);
  REQUIRE(seg);
  CHECK(found.replaced_foreign.empty());
  REQUIRE(found.abandoned);
  CHECK(found.abandoned->info.supd_pid == child);
  REQUIRE(found.abandoned->slots.size() == 1);
  CHECK(found.abandoned->slots[0].data.pid == 4242);
  CHECK(found.abandoned->slots[0].data.pid_start_ticks == 77);
}

TEST_CASE("FindLeftPrograms: only pids that still have the recorded start time", "[status][crash]") {
  const pid_t live = SleepingChild();
  const auto ticks = ProcStartTicks(live);
  REQUIRE(ticks);
  const Snapshot snap = DeadSupdSnapshot({Recorded("left", live, *ticks),
                                          Recorded("reused", live, *ticks + 1),
                                          Recorded("unknown", live, 0),
                                          Recorded("gone", DeadPid(), *ticks),
                                          Recorded("supd", getpid(), *ProcStartTicks(getpid()))});
  const auto left = FindLeftPrograms(snap);
  REQUIRE(left.size() == 1);
  CHECK(left[0].name == "left");
  CHECK(left[0].pid == live);
  kill(live, SIGKILL);
  Reap(live);
}

TEST_CASE("StopLeftPrograms: stop_signal first, SIGKILL after stop_timeout", "[status][crash]") {
  const pid_t polite = SleepingChild(SIGUSR1);  // exits on its stop_signal
  const pid_t term_ignorer = SleepingChild();  // SIGTERM is ignored below
  kill(term_ignorer, SIGSTOP);  // stopped: TERM stays pending, only SIGKILL ends it
  SlotData a = Recorded("polite", polite, *ProcStartTicks(polite));
  a.stop_signal = SIGUSR1;
  a.stop_timeout_ms = 30'000;
  SlotData b = Recorded("term_ignorer", term_ignorer, *ProcStartTicks(term_ignorer));
  b.stop_timeout_ms = 100;
  const auto left = FindLeftPrograms(DeadSupdSnapshot({a, b}));
  REQUIRE(left.size() == 2);
  // Our children stay zombies until reaped, which counts as gone for a pidfd.
  const auto result = StopLeftPrograms(left);
  const int polite_status = Reap(polite);
  const int term_ignorer_status = Reap(term_ignorer);
  CHECK((WIFEXITED(polite_status) && WEXITSTATUS(polite_status) == 0));
  CHECK((WIFSIGNALED(term_ignorer_status) && WTERMSIG(term_ignorer_status) == SIGKILL));
  REQUIRE(result.killed.size() == 1);
  CHECK(result.killed[0].name == "term_ignorer");
  CHECK(result.stuck.empty());
}
