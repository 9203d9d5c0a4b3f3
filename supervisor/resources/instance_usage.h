// What an instance's processes use, for `status`, /metrics and memory_max (SPEC §9.2): CPU
// seconds and percent, resident memory, threads, the main process's descriptors. Read when a
// reader asks, never on a timer. A UsageReader serves one reply: it scans /proc once, at its
// first instance, so `status` with 1000 instances reads each process once.
// cpu_pct is over the interval since the previous reading of the same process group by any
// reader (CpuBaseline, kept by the instance), or since the spawn.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "lifecycle/state.h"
#include "resources/proc_usage.h"

namespace sup::daemon::resources {

struct InstanceUsage {
  double cpu_s = 0;
  double cpu_pct = 0;
  std::uint64_t rss_bytes = 0;
  int fds = -1;  // -1: unreadable
  int threads = 0;
};

// The previous reading of one instance (cpu_pct's start).
struct CpuBaseline {
  pid_t pgid = 0;  // 0: none yet
  double cpu_s = 0;
  TimePoint at{};
};

// cpu_pct from `cpu_s` read at `now`, against the baseline when it is of the same group, else
// since `spawned`; then makes this reading the baseline. 100 = one CPU. Pure.
double CpuPercent(CpuBaseline& baseline, pid_t pgid, double cpu_s, TimePoint now, TimePoint spawned);

// Where an instance's processes are: its process group, its main pid, and its cgroup
// directory in cgroup mode ("" otherwise: memory.current is then not read).
struct UsageTarget {
  pid_t pgid = 0;
  pid_t main_pid = 0;
  std::string cgroup_dir;
};

class UsageReader {
 public:
  explicit UsageReader(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}

  // nullopt when the target has no live process.
  std::optional<InstanceUsage> Read(const UsageTarget& target);

 private:
  std::string proc_root_;
  std::optional<::sup::resources::ProcTable> table_;  // scanned at the first Read
};

// Memory of one target alone (memory_max's sampling: no whole-table reply to share a scan
// with, so it reads only its group). nullopt when nothing of it is alive.
std::optional<std::uint64_t> ReadMemory(const UsageTarget& target);

}  // namespace sup::daemon::resources
