// What an instance's processes use, for `status`, /metrics and memory_max (SPEC §9.2): CPU
// seconds and percent, resident memory, threads, the main process's descriptors. Read when a
// reader asks, never on a timer: the instance's ProcessProbe (shared/resources) is read off
// the loop (usage_reads.h), and the reading becomes an InstanceUsage on the loop thread, where
// cpu_pct's baseline lives.
// cpu_pct is over the interval since the previous reading of the same process group by any
// reader (CpuBaseline, kept by the instance), or since the spawn.
#pragma once

#include <sys/types.h>

#include "lifecycle/state.h"
#include "resources/process_probe.h"

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

// A probe's reading as `status` shows it, cpu_pct against (and then moving) `baseline`.
InstanceUsage FromReading(const ::sup::resources::ProbeReading& reading, CpuBaseline& baseline,
                          pid_t pgid, TimePoint now, TimePoint spawned);

}  // namespace sup::daemon::resources
