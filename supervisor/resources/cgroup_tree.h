// cgroup v2 containment (SPEC §9.2): where supd may make child cgroups, and one instance's
// cgroup. supd finds its own cgroup (the `0::` line of /proc/self/cgroup) under a writable
// cgroup2 mount (/proc/self/mountinfo: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid
// hosts), and makes `<its cgroup>/sup/<instance>` for each instance, once: the directory lives
// as long as the instance, across its restarts. The child is born in it (clone3's
// CLONE_INTO_CGROUP, see process/clone_into_cgroup.h) or, where the kernel refuses that, joins
// it before exec (ChildPlan::cgroup_procs_fd). The `sup` directory is held with flock for
// supd's life: a second supd in the same cgroup (tests, two sockets) uses `sup.<pid>` rather
// than share instances' cgroups with it.
// memory and cpu are enabled for the instances where the hierarchy offers them (supd first
// moves itself into a leaf `supd` cgroup: a cgroup that hands controllers down may hold no
// process). Loop thread only; blocking calls are on cgroupfs, which never blocks for long.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "loop/unique_fd.h"
#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon::resources {

class InstanceCgroup {
 public:
  // `<base>/<name>`, its files opened relative to `base_fd` (the base directory, held open by
  // the CgroupTree, which outlives its instances). `memory`, `cpu`: whether the tree hands
  // those controllers down; `fresh`: the directory was just made (else it was found, with
  // limits unknown until written).
  InstanceCgroup(int base_fd, const std::string& base, std::string name, bool memory, bool cpu, bool fresh);
  ~InstanceCgroup();  // removes the directory (once empty; the instance is gone by then)
  InstanceCgroup(const InstanceCgroup&) = delete;
  InstanceCgroup& operator=(const InstanceCgroup&) = delete;

  const std::string& dir() const { return dir_; }
  // memory.max and cpu.max from `spec` where those controllers are on; written only when they
  // differ from what was written last (a reload may change them; a restart does not).
  Result<void> ApplyLimits(const conf::ProgramSpec& spec);
  // The directory (O_PATH), for one spawn: clone3 starts the child in it, and the fallback
  // opens its cgroup.procs from it. Held only while the child starts, since supd's descriptor
  // budget is per program (3) and 10 000 instances would exceed it.
  Result<UniqueFd> OpenDir() const;
  // Whether a live process is in it (cgroup.events "populated 1").
  bool Populated() const;
  // `signal` to every process in it but those of process group `signalled_group` (the caller
  // signalled that group already: a second TERM would run a program's handler twice);
  // SIGKILL to all at once through cgroup.kill (even one forking meanwhile), else one kill(2)
  // per member of cgroup.procs.
  void Signal(int signal, pid_t signalled_group) const;
  // memory.events' oom_kill (0 without the memory controller).
  std::uint64_t OomKills() const;
  // The kernel enforces the program's memory_max (the controller is on and it sets one).
  bool memory() const { return tree_memory_ && memory_max_.value_or(0) > 0; }

 private:
  int base_fd_;
  std::string name_;
  std::string dir_;
  bool tree_memory_;
  bool tree_cpu_;
  std::optional<std::uint64_t> memory_max_;  // as last written (0: "max"); nullopt: unknown
  std::optional<int> cpu_max_;
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

  // `<base>/<name>` (an existing one is taken over), with memory.max and cpu.max from the spec
  // where those controllers are on.
  Result<std::unique_ptr<InstanceCgroup>> Make(const std::string& name, const conf::ProgramSpec& spec) const;

  const std::string& base() const { return base_; }
  bool memory() const { return memory_; }
  bool cpu() const { return cpu_; }

 private:
  CgroupTree(std::string base, UniqueFd lock, bool memory, bool cpu)
      : base_(std::move(base)), lock_(std::move(lock)), memory_(memory), cpu_(cpu) {}

  std::string base_;
  UniqueFd lock_;  // the base directory, flock'd; its instances' files are opened from it
  bool memory_;
  bool cpu_;
};

}  // namespace sup::daemon::resources
