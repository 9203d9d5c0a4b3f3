// One instance's processes, read as cheaply as the kernel allows and as often as readers ask
// (SPEC §9.2). At its first read a probe opens /proc/<main pid>/stat and /proc/<main pid>/fd
// and, in cgroup mode, the instance cgroup's cgroup.procs (and memory.current with the memory
// controller), and keeps them while the budget allows (fd_budget.h): a later read is a pread
// of each (~3 us) and an fstat of the fd directory (its size is the descriptor count on Linux
// >= 6.2), instead of open, read and close by path (~9 us). A held /proc descriptor stays on
// its process: once the pid is reused it reads ESRCH, never the new process. The first open
// checks the process is the one spawned (its start time, else that supd is its parent), so a
// probe opened after its process was reaped and its pid reused reads nothing.
// Members other than the main process are read by path: from cgroup.procs in cgroup mode,
// else from a /proc scan of the whole host (ProcTable; the only way to find the members of a
// process group without CONFIG_PROC_CHILDREN). Any thread; reads of one probe are serialised.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "resources/fd_budget.h"
#include "resources/proc_usage.h"

namespace sup::resources {

struct ProbeTarget {
  pid_t pid = 0;                   // the main process
  pid_t pgid = 0;                  // its process group: the members without a cgroup
  std::uint64_t start_ticks = 0;   // its start time (stat field 22); 0: unknown
  pid_t parent = 0;                // with start_ticks unknown, its parent must be this; 0: its
                                   // process group must be pgid
  std::string cgroup_dir;          // its own cgroup; "": none (members from a ProcTable)
  bool cgroup_memory = false;      // memory.current is there (the memory controller is on)
};

// What the target's processes use now. cpu_s, rss_bytes and threads are summed over the live
// members (rss_bytes is memory.current with the memory controller); fds is the main
// process's, -1 when unreadable.
using ProbeReading = Usage;

class ProcessProbe {
 public:
  // `budget` (null: nothing is held) is shared: a probe may be freed by a read finishing after
  // its owner is gone. `proc_root` is "/proc" (a fixture tree in tests, where descriptors
  // are counted by listing the directory).
  ProcessProbe(ProbeTarget target, std::shared_ptr<FdBudget> budget, std::string proc_root = "/proc");
  ~ProcessProbe();
  ProcessProbe(const ProcessProbe&) = delete;
  ProcessProbe& operator=(const ProcessProbe&) = delete;

  const ProbeTarget& target() const { return target_; }
  // Members come from `table` when the target has no cgroup (null: the main process alone).
  // nullopt when none of its processes is alive.
  std::optional<ProbeReading> Read(const ProcTable* table);
  // Descriptors held between reads (tests).
  int held() const;

 private:
  enum class Phase { kNew, kHeld, kByPath, kGone };
  // Opens the files and checks the process is the one spawned; the stat it read, nullopt
  // (then kGone) when the process is gone or another one.
  std::optional<ProcStat> Open();
  std::optional<ProcStat> ReadMain();
  void AddMembers(ProbeReading& reading, const std::optional<ProcStat>& main, const ProcTable* table) const;
  int CountFds() const;
  void Close();

  mutable std::mutex mutex_;
  const ProbeTarget target_;
  const std::shared_ptr<FdBudget> budget_;
  const std::string proc_root_;
  const bool procfs_;
  const long ticks_per_second_;
  const long page_size_;
  Phase phase_ = Phase::kNew;
  int stat_fd_ = -1;
  int fd_dir_ = -1;
  int procs_fd_ = -1;
  int memory_fd_ = -1;
  int taken_ = 0;  // from the budget
};

}  // namespace sup::resources
