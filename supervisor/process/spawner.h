// Spawner: supd's own fork/exec (not uv_spawn, so that Reaper alone reaps). The child gets a
// new session, default signal state (the command-line program: supd's inherited one), supd's
// ORIGINAL rlimits and oom_score_adj, the program's
// limits, credentials, directory and fds; every exec-time failure comes back as an Error.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <string>

#include "child/inherited_signals.h"
#include "loop/unique_fd.h"
#include "process/spawn_request.h"
#include "sup/base/result.h"

namespace sup::daemon {

struct ChildPlan;

// supd's limits as it started, before it raised any of its own (e.g. RLIMIT_NOFILE).
struct OriginalLimits {
  std::array<rlimit, RLIM_NLIMITS> rlimits{};
  bool have_rlimits = false;
  std::string oom_score_adj;  // "0"; "" when unreadable (then left as inherited)
  // Blocked and ignored signals as supd started (main captures them before blocking any):
  // what a SpawnRequest with inherit_signals gets.
  InheritedSignals signals = InheritedSignals::None();

  static OriginalLimits Capture();  // call first thing in main(), before raising anything
};

// The stack a child runs on between clone and exec. It shares supd's memory (CLONE_VM) while
// the spawning thread is suspended (CLONE_VFORK), so one stack serves every child in turn.
class ChildStack {
 public:
  ChildStack();
  ~ChildStack();
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;

  void* top() const { return top_; }  // nullptr when it could not be mapped: fork instead
  void* low() const;                  // its lowest usable address (above the guard page)
  std::size_t size() const;           // from low() to top()

 private:
  void* base_ = nullptr;
  void* top_ = nullptr;
};

class Spawner {
 public:
  explicit Spawner(OriginalLimits original);
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  // Starts the child and returns once it has exec'd or failed. Failures read like
  // "exec /usr/bin/nope: No such file or directory", "chdir /nope: ...", "setuid 65534: ...";
  // a child that failed has already been reaped (waitpid on its pid, never -1).
  // Loop thread only, and no other thread of supd may fork: another thread's child would
  // inherit the exec-status pipe's write end (libuv's race note) and stall this read.
  // Call Reaper::Watch(pid) before returning to the loop.
  Result<SpawnedChild> Spawn(const SpawnRequest& request) const;

  // Low descriptors (each a /dev/null dup while idle) that a spawn parks the child's sources
  // on, so that the child copies only the bottom of supd's fd table (see ParkedFds).
  static constexpr std::size_t kFdSlots = 6;

  // Whether children go straight into their cgroup with clone3 (true until the kernel refuses:
  // see CloneIntoCgroupUnsupported). Tests turn it off to exercise the cgroup.procs fallback.
  bool clone_into_cgroup() const { return clone_into_cgroup_; }
  void set_clone_into_cgroup(bool on) { clone_into_cgroup_ = on; }

 private:
  // Clones the child: born in request.cgroup_fd's cgroup where the kernel can, else joining it
  // through `cgroup_procs` (opened here) as its first act. -1 with errno, `failed` naming the
  // step that failed.
  pid_t Start(const SpawnRequest& request, ChildPlan& plan, UniqueFd& cgroup_procs,
              bool& born_in_cgroup, std::string& failed) const;

  OriginalLimits original_;
  InheritedSignals clean_signals_ = InheritedSignals::None();  // for every other program
  UniqueFd dev_null_;  // O_RDONLY, opened once; the child's fd 0 unless stdin_fd is given
  std::array<UniqueFd, kFdSlots> fd_slots_;
  int copy_below_ = -1;  // above every slot and dev_null_; -1: no slots, the child copies all
  UniqueFd own_oom_score_adj_;  // supd's /proc/self/oom_score_adj, re-read at every spawn
  ChildStack child_stack_;
  mutable bool clone_into_cgroup_ = true;
};

// kill(pid) or, with to_group, kill(-pid) (pid is the group leader: setsid/setpgid made it so).
// ESRCH is an error like any other; the caller decides whether "already gone" matters.
Result<void> Kill(pid_t pid, int signal, bool to_group);

// Whether any process of group `pgid` still exists (kill(-pgid, 0) == 0 or EPERM).
bool GroupAlive(pid_t pgid);

}  // namespace sup::daemon
