// cgroup v2 containment (SPEC §9.2): where supd may make child cgroups, and one instance's
// cgroup. supd finds its own cgroup (the `0::` line of /proc/self/cgroup) under a writable
// cgroup2 mount (/proc/self/mountinfo: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid
// hosts), and makes `<its cgroup>/sup/<instance>` for each instance; the child joins it between
// fork and exec (ChildPlan::cgroup_procs_fd). The `sup` directory is held with flock for
// supd's life: a second supd in the same cgroup (tests, two sockets) uses `sup.<pid>` rather
// than share instances' cgroups with it.
// memory and cpu are enabled for the instances where the hierarchy offers them (supd first
// moves itself into a leaf `supd` cgroup: a cgroup that hands controllers down may hold no
// process). Loop thread only; blocking calls are on cgroupfs, which never blocks for long.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "loop/unique_fd.h"
#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon::resources {

class InstanceCgroup {
 public:
  InstanceCgroup(std::string dir, bool memory);
  ~InstanceCgroup();  // removes the directory (once empty; the instance is gone by then)
  InstanceCgroup(const InstanceCgroup&) = delete;
  InstanceCgroup& operator=(const InstanceCgroup&) = delete;

  const std::string& dir() const { return dir_; }
  // Its cgroup.procs (O_WRONLY|O_CLOEXEC), for one spawn: held only while the child starts,
  // since supd's descriptor budget is per program (3) and 10 000 instances would exceed it.
  Result<UniqueFd> OpenProcs() const;
  // Whether a live process is in it (cgroup.events "populated 1").
  bool Populated() const;
  // `signal` to every process in it but those of process group `signalled_group` (the caller
  // signalled that group already: a second TERM would run a program's handler twice);
  // SIGKILL to all at once through cgroup.kill (even one forking meanwhile), else one kill(2)
  // per member of cgroup.procs.
  void Signal(int signal, pid_t signalled_group) const;
  // memory.events' oom_kill (0 without the memory controller).
  std::uint64_t OomKills() const;
  bool memory() const { return memory_; }

 private:
  std::string dir_;
  bool memory_;
};

class CgroupTree {
 public:
  // nullptr with `mode` off or when no writable cgroup v2 hierarchy holds supd; `log_line` is
  // what supd logs at start-up either way: "cgroup: /sys/fs/cgroup/unified/sup (memory, cpu)",
  // "cgroup: none (process groups)" (with the reason after a colon when auto found none).
  static std::unique_ptr<CgroupTree> Detect(conf::CgroupMode mode, std::string& log_line);
  ~CgroupTree();  // removes the base directory when empty
  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;

  // `<base>/<name>`, with memory.max and cpu.max from the spec where those controllers are on.
  Result<std::unique_ptr<InstanceCgroup>> Make(const std::string& name, const conf::ProgramSpec& spec) const;

  const std::string& base() const { return base_; }
  bool memory() const { return memory_; }
  bool cpu() const { return cpu_; }

 private:
  CgroupTree(std::string base, UniqueFd lock, bool memory, bool cpu)
      : base_(std::move(base)), lock_(std::move(lock)), memory_(memory), cpu_(cpu) {}

  std::string base_;
  UniqueFd lock_;  // the base directory, flock'd
  bool memory_;
  bool cpu_;
};

}  // namespace sup::daemon::resources
