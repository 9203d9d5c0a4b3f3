// The child between clone (or fork) and exec. Only async-signal-safe calls (signal-safety(7)) and raw
// system calls: it runs in supd's own memory (CLONE_VM) beside supd's other threads, so it may
// not allocate, take a lock or change anything but its own stack. The credential calls are raw
// syscalls: glibc's setuid/setgid/setgroups would make every thread of supd change too.
#include "child/child_plan.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

namespace sup::daemon {
namespace {

[[noreturn]] void Report(int status_fd, ChildStage stage, int error, int detail = 0) {
  const ChildFailure failure{stage, error, detail};
  // One write of a few bytes to a pipe is atomic; if it fails the parent sees EOF and a
  // child that exits 127 at once, which is the best we can still say.
  while (write(status_fd, &failure, sizeof failure) < 0 && errno == EINTR) {
  }
  _exit(127);
}

// The fixed head of a Linux getdents64 record (struct linux_dirent64); the NUL-terminated
// name follows at byte 19. opendir/readdir may allocate, so the raw call is used.
struct LinuxDirent64Head {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
};
constexpr std::size_t kDirentNameOffset = 19;

bool IsKept(int fd, const int* keep, int keep_count) {
  for (int i = 0; i < keep_count; ++i) {
    if (keep[i] == fd) return true;
  }
  return false;
}

// Closes every fd not in `keep` by listing /proc/self/fd: for kernels without close_range.
int CloseByListing(const int* keep, int keep_count) {
  const int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno;
  alignas(8) char buffer[4096];
  // Closing while listing can skip entries: repeat until one pass closes nothing.
  for (bool closed_any = true; closed_any;) {
    closed_any = false;
    lseek(dir, 0, SEEK_SET);
    for (;;) {
      const long n = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
      if (n < 0) {
        const int error = errno;
        close(dir);
        return error;
      }
      if (n == 0) break;
      for (long at = 0; at < n;) {
        const auto* entry = reinterpret_cast<const LinuxDirent64Head*>(buffer + at);
        const char* name = buffer + at + kDirentNameOffset;
        at += entry->d_reclen;
        int fd = 0;
        bool numeric = name[0] != '\0';
        for (const char* c = name; *c != '\0'; ++c) {
          if (*c < '0' || *c > '9') numeric = false;
          else fd = fd * 10 + (*c - '0');
        }
        if (!numeric || fd == dir || IsKept(fd, keep, keep_count)) continue;
        close(fd);
        closed_any = true;
      }
    }
  }
  close(dir);
  return 0;
}

// Closes every fd but `keep` (sorted ascending, distinct). Returns 0 or an errno.
int CloseAllBut(const int* keep, int keep_count) {
  unsigned int from = 0;
  for (int i = 0; i <= keep_count; ++i) {
    const unsigned int until = i < keep_count ? static_cast<unsigned int>(keep[i]) : UINT_MAX;
    if (until > from) {
      const unsigned int last = i < keep_count ? until - 1 : UINT_MAX;
      if (syscall(SYS_close_range, from, last, 0) != 0) {
        if (errno == ENOSYS) return CloseByListing(keep, keep_count);
        return errno;
      }
    }
    if (i < keep_count) from = until + 1;
  }
  return 0;
}

// Makes the fd table shared with supd (CLONE_FILES) the child's own. CLOSE_RANGE_UNSHARE over
// [copy_below, ~0] copies only the fds below copy_below (Linux >= 5.9): supd's thousands of
// pipes are neither copied nor closed one by one. Older kernels: copy all, ArrangeFds closes.
void UnshareFds(const ChildPlan& plan, int status_fd) {
  if (syscall(SYS_close_range, plan.copy_below, ~0U, CLOSE_RANGE_UNSHARE) == 0) return;
  if (unshare(CLONE_FILES) != 0) Report(status_fd, ChildStage::kCloseFds, errno);
}

// Moves each source to a high temporary fd first, so that no dup2 overwrites a source that a
// later move still needs, then places them and closes everything else.
void ArrangeFds(const ChildPlan& plan, int& status_fd) {
  const int high = plan.highest_target + 1;
  const int moved_status = fcntl(status_fd, F_DUPFD_CLOEXEC, high);
  if (moved_status < 0) Report(status_fd, ChildStage::kStdio, errno, status_fd);
  status_fd = moved_status;

  // Targets are 0-2 and pass_fds, a handful: a fixed array avoids allocating.
  constexpr int kMaxMoves = 64;
  if (plan.fd_move_count > kMaxMoves) Report(status_fd, ChildStage::kStdio, EMFILE);
  int temporary[kMaxMoves];
  for (std::size_t i = 0; i < plan.fd_move_count; ++i) {
    temporary[i] = -1;
    if (plan.fd_moves[i].from < 0) continue;
    temporary[i] = fcntl(plan.fd_moves[i].from, F_DUPFD_CLOEXEC, high);
    if (temporary[i] < 0) Report(status_fd, ChildStage::kStdio, errno, plan.fd_moves[i].to);
  }
  for (std::size_t i = 0; i < plan.fd_move_count; ++i) {
    if (temporary[i] < 0) continue;
    if (dup2(temporary[i], plan.fd_moves[i].to) < 0) {  // dup2 clears O_CLOEXEC on the target
      Report(status_fd, ChildStage::kStdio, errno, plan.fd_moves[i].to);
    }
  }

  // Keep 0-2 (placed or inherited), every target, and the status pipe; sorted, distinct.
  int keep[kMaxMoves + 4];
  int keep_count = 0;
  auto add = [&](int fd) {
    int at = keep_count;
    for (int i = 0; i < keep_count; ++i) {
      if (keep[i] == fd) return;
      if (keep[i] > fd) { at = i; break; }
    }
    for (int i = keep_count; i > at; --i) keep[i] = keep[i - 1];
    keep[at] = fd;
    ++keep_count;
  };
  for (int fd = 0; fd <= 2; ++fd) add(fd);
  for (std::size_t i = 0; i < plan.fd_move_count; ++i) add(plan.fd_moves[i].to);
  add(status_fd);
  if (const int error = CloseAllBut(keep, keep_count)) Report(status_fd, ChildStage::kCloseFds, error);
}

// supd's oom_score_adj as it started; lowering it back may need CAP_SYS_RESOURCE, so this is
// best effort, as systemd's is for an unprivileged manager.
void RestoreOomScoreAdj(const ChildPlan& plan) {
  if (plan.oom_score_adj == nullptr) return;
  const int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  char current[32];
  ssize_t n = read(fd, current, sizeof current);
  if (n > 0 && current[n - 1] == '\n') --n;
  bool same = n == static_cast<ssize_t>(plan.oom_score_adj_length);
  for (ssize_t i = 0; same && i < n; ++i) same = current[i] == plan.oom_score_adj[i];
  if (!same) {
    lseek(fd, 0, SEEK_SET);
    (void)!write(fd, plan.oom_score_adj, plan.oom_score_adj_length);
  }
  close(fd);
}

void WriteDecimal(char* out, long value) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = 0; i < count; ++i) out[i] = digits[count - 1 - i];
  out[count] = '\0';
}

// execvp's search: EACCES from any candidate wins over ENOENT; errors other than
// "not here" (ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT) stop the search at once.
int Exec(const ChildPlan& plan) {
  bool saw_eacces = false;
  int last = ENOENT;
  for (std::size_t i = 0; i < plan.exec_path_count; ++i) {
    execve(plan.exec_paths[i], plan.argv, plan.envp);
    last = errno;
    switch (last) {
      case EACCES: saw_eacces = true; break;
      case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT: break;
      default: return last;
    }
  }
  return saw_eacces ? EACCES : last;
}

// cgroup mode: the child enters its instance's cgroup before it runs anything of the
// program's, so every process it starts is counted, limited and killed with it.
void JoinCgroup(const ChildPlan& plan, int status_fd) {
  if (plan.cgroup_procs_fd >= 0 && write(plan.cgroup_procs_fd, "0", 1) != 1)
    Report(status_fd, ChildStage::kCgroup, errno);
}

}  // namespace

const char* ChildStageName(ChildStage stage, bool new_session) {
  switch (stage) {
    case ChildStage::kSession: return new_session ? "setsid" : "setpgid";
    case ChildStage::kStdio: return "dup2";
    case ChildStage::kCloseFds: return "close_range";
    case ChildStage::kRlimit: return "setrlimit";
    case ChildStage::kSetgroups: return "setgroups";
    case ChildStage::kSetgid: return "setgid";
    case ChildStage::kSetuid: return "setuid";
    case ChildStage::kCredentialsKept: return "setuid (credentials unchanged)";
    case ChildStage::kChdir: return "chdir";
    case ChildStage::kSignalMask: return "sigprocmask";
    case ChildStage::kExec: return "exec";
    case ChildStage::kCgroup: return "join cgroup";
  }
  return "child set-up";
}

void RunChild(const ChildPlan& plan) noexcept {
  if (plan.born_at != nullptr) clock_gettime(CLOCK_BOOTTIME, plan.born_at);  // vDSO: no syscall
  int status_fd = plan.status_fd;
  JoinCgroup(plan, status_fd);  // before its table is private: the fd is supd's
  // First of all: until then every fd operation here would change supd's own table too.
  if (plan.copy_below >= 0) UnshareFds(plan, status_fd);
  // Every signal is blocked on entry (Spawner did so before fork): supd's handlers can't run
  // here, and the dispositions are default (or the inherited SIG_IGN) before anything is unblocked.
  plan.signals->RestoreDispositions();

  if ((plan.new_session ? setsid() : setpgid(0, 0)) < 0) Report(status_fd, ChildStage::kSession, errno);
  // Best effort, as tini's: a terminal that went away leaves the child in the background.
  if (plan.take_terminal) tcsetpgrp(STDIN_FILENO, getpid());
  if (!plan.keep_inherited_fds) ArrangeFds(plan, status_fd);
  RestoreOomScoreAdj(plan);  // before limits: it opens a file, and nofile may be tiny

  for (std::size_t i = 0; i < plan.original_limit_count; ++i) {
    setrlimit(static_cast<__rlimit_resource>(plan.original_limits[i].resource), &plan.original_limits[i].value);
  }
  for (std::size_t i = 0; i < plan.program_limit_count; ++i) {
    const LimitSetting& limit = plan.program_limits[i];
    if (setrlimit(static_cast<__rlimit_resource>(limit.resource), &limit.value) != 0) {
      Report(status_fd, ChildStage::kRlimit, errno, limit.resource);
    }
  }
  if (plan.set_umask) ::umask(plan.umask);

  // initgroups, setgid, setuid, in that order (the group list was read in the parent).
  if (plan.set_groups && syscall(SYS_setgroups, plan.group_count, plan.groups) != 0) {
    Report(status_fd, ChildStage::kSetgroups, errno);
  }
  if (plan.set_gid && syscall(SYS_setgid, plan.gid) != 0) Report(status_fd, ChildStage::kSetgid, errno);
  if (plan.set_uid && syscall(SYS_setuid, plan.uid) != 0) Report(status_fd, ChildStage::kSetuid, errno);
  if (plan.set_gid && (getgid() != plan.gid || getegid() != plan.gid)) {
    Report(status_fd, ChildStage::kCredentialsKept, EPERM);
  }
  if (plan.set_uid && (getuid() != plan.uid || geteuid() != plan.uid ||
                       (plan.uid != 0 && syscall(SYS_setuid, 0) == 0))) {
    Report(status_fd, ChildStage::kCredentialsKept, EPERM);
  }

  if (plan.directory != nullptr && chdir(plan.directory) != 0) Report(status_fd, ChildStage::kChdir, errno);
  if (plan.watchdog_pid_digits != nullptr) WriteDecimal(plan.watchdog_pid_digits, getpid());

  if (const int error = plan.signals->RestoreMask()) Report(status_fd, ChildStage::kSignalMask, error);
  if (plan.exec_like_execvp) {
    execvp(plan.argv[0], plan.argv);
    Report(status_fd, ChildStage::kExec, errno);
  }
  Report(status_fd, ChildStage::kExec, Exec(plan));
}

}  // namespace sup::daemon
