#include "shutdown/leftovers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace sup::daemon {

namespace {

constexpr unsigned long kPfKthread = 0x00200000;  // PF_KTHREAD in /proc/PID/stat's flags
// While waiting, wake at least this often: a process that is not our child (kNamespace
// with processes entered from outside) exits without telling us.
constexpr std::chrono::milliseconds kMaxWaitSlice{200};

struct ProcEntry {
  pid_t pid;
  pid_t ppid;
  bool zombie;
  bool kernel_thread;
};

// Parses /proc/PID/stat. The comm field may hold spaces and parentheses, so the fields we
// want are read after the LAST ')'.
bool ReadProcEntry(pid_t pid, ProcEntry& out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');
  if (!close_paren) return false;
  char state = 0;
  int ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
  unsigned long flags = 0;
  if (std::sscanf(close_paren + 1, " %c %d %d %d %d %d %lu", &state, &ppid, &pgrp, &session, &tty,
                  &tpgid, &flags) != 7) {
    return false;
  }
  out = ProcEntry{pid, ppid, state == 'Z' || state == 'X', (flags & kPfKthread) != 0};
  return true;
}

std::vector<ProcEntry> ScanProc() {
  std::vector<ProcEntry> entries;
  DIR* dir = opendir("/proc");
  if (!dir) return entries;
  while (dirent* de = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(de->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    ProcEntry e;
    if (ReadProcEntry(static_cast<pid_t>(pid), e)) entries.push_back(e);
  }
  closedir(dir);
  return entries;
}

// /proc shows our PID namespace only when it was mounted from inside it (--mount-proc).
bool ProcIsOurNamespace() {
  char target[32];
  ssize_t n = readlink("/proc/self", target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  return std::strtol(target, nullptr, 10) == getpid();
}

std::vector<pid_t> ListNamespace() {
  std::vector<pid_t> pids;
  const pid_t self = getpid();
  for (const auto& e : ScanProc()) {
    if (e.pid != self && !e.zombie && !e.kernel_thread) pids.push_back(e.pid);
  }
  return pids;
}

}  // namespace

bool IsPid1() { return getpid() == 1; }

std::vector<pid_t> ListDescendants(pid_t root) {
  const std::vector<ProcEntry> entries = ScanProc();
  std::unordered_multimap<pid_t, const ProcEntry*> children;
  for (const auto& e : entries) children.emplace(e.ppid, &e);
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      const ProcEntry& e = *it->second;
      if (e.pid == root) continue;  // a pid namespace's init shows ppid 0, never itself
      frontier.push_back(e.pid);  // a zombie's children are still ours to find
      if (!e.zombie && !e.kernel_thread) found.push_back(e.pid);
    }
  }
  return found;
}

bool SignalLeftovers(SweepScope scope, int signo) {
  if (scope == SweepScope::kNamespace) return kill(-1, signo) == 0;
  bool any = false;
  for (pid_t pid : ListDescendants(getpid())) any |= kill(pid, signo) == 0;
  return any;
}

bool AnyLeftovers(SweepScope scope) {
  if (scope == SweepScope::kDescendants) return !ListDescendants(getpid()).empty();
  if (ProcIsOurNamespace()) return !ListNamespace().empty();
  return kill(-1, 0) == 0;
}

bool TerminateOrphans(SweepScope scope, std::chrono::milliseconds grace, const WaitForExits& wait) {
  using Clock = std::chrono::steady_clock;
  if (!SignalLeftovers(scope, SIGTERM)) return false;
  // SIGCONT too: a stopped process cannot act on its TERM until continued.
  SignalLeftovers(scope, SIGCONT);
  const auto deadline = Clock::now() + grace;
  while (AnyLeftovers(scope)) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    if (!wait(std::min(left, kMaxWaitSlice))) break;
  }
  bool killed = false;
  // Repeat: a process may have forked between our scan and its kill.
  while (AnyLeftovers(scope)) {
    killed |= SignalLeftovers(scope, SIGKILL);
    wait(kMaxWaitSlice);
  }
  return killed;
}

}  // namespace sup::daemon
