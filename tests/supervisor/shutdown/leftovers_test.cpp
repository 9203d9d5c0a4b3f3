#include "shutdown/leftovers.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "subprocess.h"

using namespace std::chrono_literals;
using sup::daemon::AnyLeftovers;
using sup::daemon::ListDescendants;
using sup::daemon::SweepScope;
using sup::daemon::TerminateOrphans;
using sup::test::PidReaperGuard;
using sup::test::ProcState;
using sup::test::WaitUntil;

namespace {

bool Contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// A child of the test that waits for signals; `ignore_term` makes it survive SIGTERM.
// Returns once the child's disposition is in place.
pid_t ForkPauser(bool ignore_term) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
    (void)!write(ready[1], "x", 1);
    for (;;) pause();
  }
  char byte;
  (void)!read(ready[0], &byte, 1);
  close(ready[0]);
  close(ready[1]);
  return pid;
}

// The reaper TerminateOrphans expects from its caller: here a short sleep and a drain.
struct TestReaper {
  std::map<pid_t, int> statuses;
  bool operator()(std::chrono::milliseconds max) {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(max, 10ms));
    int status;
    for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) statuses[pid] = status;
    return true;
  }
};

}  // namespace

TEST_CASE("ListDescendants: a child and its grandchild -> both listed, ourselves not", "[init]") {
  PidReaperGuard guard;
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  pid_t child = fork();
  if (child == 0) {
    pid_t grandchild = ForkPauser(false);
    (void)!write(pipe_fds[1], &grandchild, sizeof grandchild);
    for (;;) pause();
  }
  guard.Add(child);
  pid_t grandchild = 0;
  REQUIRE(read(pipe_fds[0], &grandchild, sizeof grandchild) == sizeof grandchild);
  guard.Add(grandchild);
  close(pipe_fds[0]);
  close(pipe_fds[1]);

  const auto pids = ListDescendants(getpid());
  CHECK(Contains(pids, child));
  CHECK(Contains(pids, grandchild));
  CHECK_FALSE(Contains(pids, getpid()));
  CHECK_FALSE(Contains(pids, getppid()));
  kill(grandchild, SIGKILL);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST_CASE("AnyLeftovers: only zombie children left -> nothing left", "[init]") {
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(WaitUntil([&] { return ProcState(child) == 'Z'; }));
  CHECK_FALSE(AnyLeftovers(SweepScope::kDescendants));
  waitpid(child, nullptr, 0);
}

TEST_CASE("TerminateOrphans: nothing left -> returns false without waiting", "[init]") {
  bool waited = false;
  CHECK_FALSE(TerminateOrphans(SweepScope::kDescendants, 10s, [&](std::chrono::milliseconds) {
    waited = true;
    return true;
  }));
  CHECK_FALSE(waited);
}

TEST_CASE("TerminateOrphans: descendants that exit on TERM -> TERMed, nothing SIGKILLed", "[init]") {
  PidReaperGuard guard;
  const pid_t a = ForkPauser(false), b = ForkPauser(false);
  guard.Add(a);
  guard.Add(b);
  TestReaper reaper;
  CHECK_FALSE(TerminateOrphans(SweepScope::kDescendants, 20s, std::ref(reaper)));
  REQUIRE(WaitUntil([&] { reaper(0ms); return reaper.statuses.size() == 2; }));
  CHECK(WTERMSIG(reaper.statuses[a]) == SIGTERM);
  CHECK(WTERMSIG(reaper.statuses[b]) == SIGTERM);
}

TEST_CASE("TerminateOrphans: a descendant ignoring TERM -> SIGKILLed after the grace, returns true", "[init]") {
  PidReaperGuard guard;
  const pid_t term_ignorer = ForkPauser(true);
  const pid_t polite = ForkPauser(false);
  guard.Add(term_ignorer);
  guard.Add(polite);
  TestReaper reaper;
  CHECK(TerminateOrphans(SweepScope::kDescendants, 200ms, std::ref(reaper)));
  REQUIRE(WaitUntil([&] { reaper(0ms); return reaper.statuses.size() == 2; }));
  CHECK(WTERMSIG(reaper.statuses[term_ignorer]) == SIGKILL);
  CHECK(WTERMSIG(reaper.statuses[polite]) == SIGTERM);
}

TEST_CASE("TerminateOrphans: the wait callback cuts the grace short -> SIGKILL at once", "[init]") {
  PidReaperGuard guard;
  const pid_t term_ignorer = ForkPauser(true);
  guard.Add(term_ignorer);
  TestReaper reaper;
  CHECK(TerminateOrphans(SweepScope::kDescendants, 1h, [&](std::chrono::milliseconds max) {
    reaper(max);
    return false;  // as a second TERM does
  }));
  REQUIRE(WaitUntil([&] { reaper(0ms); return reaper.statuses.count(term_ignorer) == 1; }));
  CHECK(WTERMSIG(reaper.statuses[term_ignorer]) == SIGKILL);
}
