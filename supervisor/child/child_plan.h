// ChildPlan: everything the child does between fork and exec, computed in the parent
// beforehand (by Spawner for the config's programs, by LaunchChild for init mode's command),
// so that RunChild makes only async-signal-safe calls (no allocation, no locks, no NSS).
// ChildFailure is what crosses the exec-status pipe (exec_status.h reads it).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>

#include "child/inherited_signals.h"

namespace sup::daemon {

// Which step failed in the child; written with errno to the exec-status pipe.
enum class ChildStage : int {
  kSession, kStdio, kCloseFds, kRlimit, kSetgroups, kSetgid, kSetuid, kCredentialsKept,
  kChdir, kSignalMask, kExec, kCgroup,
};

// ChildStage's words for an error message ("setpgid", "close_range", "exec"...): the step,
// without the details only the caller knows (which user, which directory).
const char* ChildStageName(ChildStage stage, bool new_session);

struct ChildFailure {
  ChildStage stage;
  int error;   // errno
  int detail;  // kRlimit: the resource; kStdio: the target fd
};

struct FdMove {
  int from;  // fd in supd (-1: leave the target as inherited)
  int to;    // fd number in the child
};

struct LimitSetting {
  int resource;
  rlimit value;
};

// Pointers refer to storage owned by Spawner::Spawn's frame, alive until the child execs.
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* const* exec_paths = nullptr;  // execve candidates, in PATH order
  std::size_t exec_path_count = 0;
  // Init mode: execvp(argv[0], argv) with supd's own environment, as tini does, keeping
  // execvp's /bin/sh fallback for a script without "#!". envp and exec_paths are unused.
  // Only with a forked (not CLONE_VM) child: execvp is not on signal-safety(7)'s list.
  bool exec_like_execvp = false;
  char* watchdog_pid_digits = nullptr;  // 20 writable bytes inside envp's WATCHDOG_PID entry

  bool new_session = true;
  // Make the child's group the foreground of the terminal on fd 0 (init mode, when supd's
  // group held it). Done with SIGTTOU still blocked, so it cannot stop the child.
  bool take_terminal = false;
  // Init mode: every fd passes as inherited, nothing is moved or closed (tini's behaviour).
  bool keep_inherited_fds = false;
  // >= 0: the child starts on supd's own fd table (CLONE_FILES) and first takes a private copy
  // of just the fds below this number, where every source and status_fd then are (parked on
  // Spawner's slots). -1: the child starts on a full copy, as fork makes.
  int copy_below = -1;
  const FdMove* fd_moves = nullptr;  // stdio and pass_fds; targets distinct
  std::size_t fd_move_count = 0;
  int highest_target = 2;  // max(2, every target)

  const LimitSetting* original_limits = nullptr;  // best effort: supd may not restore them all
  std::size_t original_limit_count = 0;
  const LimitSetting* program_limits = nullptr;   // failures are reported
  std::size_t program_limit_count = 0;
  const char* oom_score_adj = nullptr;  // "0"; nullptr: leave as inherited
  std::size_t oom_score_adj_length = 0;

  bool set_umask = false;
  mode_t umask = 022;
  bool set_groups = false;
  const gid_t* groups = nullptr;
  std::size_t group_count = 0;
  bool set_gid = false;
  gid_t gid = 0;
  bool set_uid = false;
  uid_t uid = 0;
  const char* directory = nullptr;  // nullptr: stay in supd's directory
  const InheritedSignals* signals = nullptr;  // the dispositions and mask exec'd with; never null

  int status_fd = -1;  // write end of the exec-status pipe (O_CLOEXEC)
  // When set, the child's first act writes CLOCK_BOOTTIME here. A CLONE_VM child writes into
  // the parent's memory, so the parent learns the moment the child was born (its start time's
  // tick, see Spawner); a forked child writes into its own copy, which the parent never sees.
  timespec* born_at = nullptr;
  // >= 0: the instance's cgroup.procs, when the child was not born in its cgroup (no clone3):
  // the child writes "0" to it first (joins its cgroup), on supd's fd table still, so the fd
  // need not be among those it copies.
  int cgroup_procs_fd = -1;
};

// The child's side of Spawn. Never returns: execs, or reports a ChildFailure and _exit(127).
[[noreturn]] void RunChild(const ChildPlan& plan) noexcept;

}  // namespace sup::daemon
