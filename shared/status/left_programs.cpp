#include "status/left_programs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "status/proc_stat.h"

namespace sup::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// While a process group drains after its leader is gone (or without pidfds), nothing wakes us
// when it empties: look again this often. Only ever during this bounded start-up wait.
constexpr std::chrono::milliseconds kRecheck{50};

bool SameProcess(pid_t pid, std::uint64_t ticks) {
  const auto now = ProcStartTicks(pid);
  return now && *now == ticks;
}

struct Target {
  LeftProgram program;
  int pidfd = -1;   // pins the recorded process; -1 where pidfds are unavailable
  pid_t pgid = 0;   // signalled as a group when > 0
  Clock::time_point deadline;  // stop_timeout, then after_kill once SIGKILLed
  bool killed = false;
  bool leader_gone = false;
  bool given_up = false;  // survived SIGKILL for after_kill
};

void Signal(const Target& t, int signo) {
  if (t.pgid > 0) {
    kill(-t.pgid, signo);
  } else if (t.pidfd >= 0) {
    syscall(SYS_pidfd_send_signal, t.pidfd, signo, nullptr, 0);
  } else if (SameProcess(t.program.pid, t.program.start_ticks)) {
    kill(t.program.pid, signo);
  }
}

bool Alive(Target& t) {
  if (!t.leader_gone) {
    if (t.pidfd >= 0) {
      pollfd p{t.pidfd, POLLIN, 0};
      t.leader_gone = poll(&p, 1, 0) > 0;  // a pidfd is readable once its process exited
    } else {
      t.leader_gone = !SameProcess(t.program.pid, t.program.start_ticks);
    }
  }
  return !t.leader_gone || (t.pgid > 0 && GroupHasLiveMember(t.pgid));
}

// Pins `p` and checks it is still the recorded process; nullopt when it is not.
std::optional<Target> Pin(const LeftProgram& p) {
  Target t;
  t.program = p;
  t.pidfd = static_cast<int>(syscall(SYS_pidfd_open, p.pid, 0));
  if (t.pidfd < 0 && errno == ESRCH) return std::nullopt;
  // Checked after the pidfd is open: if the pid was reused before, the start time differs;
  // after it, the pidfd still names the recorded process and signals nothing else.
  if (!SameProcess(p.pid, p.start_ticks)) {
    if (t.pidfd >= 0) close(t.pidfd);
    return std::nullopt;
  }
  if (p.kill_group) {
    const pid_t pgid = getpgid(p.pid);
    // Never our own group or init's: kill(-pgid) there would hit supd or everything.
    if (pgid > 1 && pgid != getpgrp()) t.pgid = pgid;
  }
  return t;
}

}  // namespace

std::vector<LeftProgram> FindLeftPrograms(const Snapshot& snap) {
  std::vector<LeftProgram> out;
  for (const auto& slot : snap.slots) {
    const SlotData& d = slot.data;
    if (d.pid <= 1 || d.pid == getpid() || d.pid == snap.info.supd_pid || d.pid_start_ticks == 0)
      continue;
    if (!SameProcess(d.pid, d.pid_start_ticks)) continue;
    LeftProgram p;
    p.name = d.name;
    p.pid = d.pid;
    p.start_ticks = d.pid_start_ticks;
    p.stop_signal = d.stop_signal > 0 && d.stop_signal <= SIGRTMAX ? d.stop_signal : SIGTERM;
    p.kill_group = d.kill_group;
    // Bounded as the config loader bounds durations: a corrupt field cannot stall start-up.
    p.stop_timeout = std::chrono::milliseconds(std::min<std::uint64_t>(d.stop_timeout_ms, 86'400'000));
    out.push_back(std::move(p));
  }
  return out;
}

LeftStopResult StopLeftPrograms(const std::vector<LeftProgram>& programs,
                                std::chrono::milliseconds after_kill) {
  std::vector<Target> targets;
  for (const auto& p : programs) {
    auto t = Pin(p);
    if (!t) continue;
    t->deadline = Clock::now() + p.stop_timeout;
    Signal(*t, p.stop_signal);
    targets.push_back(std::move(*t));
  }
  LeftStopResult result;
  for (;;) {
    const auto now = Clock::now();
    std::vector<pollfd> fds;
    Clock::time_point wake = Clock::time_point::max();
    bool recheck = false;
    bool any = false;
    for (auto& t : targets) {
      if (t.given_up || !Alive(t)) continue;
      if (now >= t.deadline) {
        if (t.killed) {
          t.given_up = true;
          result.stuck.push_back(t.program);
          continue;
        }
        Signal(t, SIGKILL);
        t.killed = true;
        t.deadline = now + after_kill;
        result.killed.push_back(t.program);
      }
      any = true;
      wake = std::min(wake, t.deadline);
      if (t.leader_gone || t.pidfd < 0) recheck = true;
      else fds.push_back({t.pidfd, POLLIN, 0});
    }
    if (!any) break;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now) +
                std::chrono::milliseconds(1);
    if (recheck) wait = std::min(wait, kRecheck);
    poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  }
  for (auto& t : targets)
    if (t.pidfd >= 0) close(t.pidfd);
  return result;
}

}  // namespace sup::daemon
