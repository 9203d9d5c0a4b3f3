#include "resources/instance_usage.h"

namespace sup::daemon::resources {

double CpuPercent(CpuBaseline& baseline, pid_t pgid, double cpu_s, TimePoint now, TimePoint spawned) {
  const bool same = baseline.pgid == pgid && baseline.at > spawned;
  const double used = same ? cpu_s - baseline.cpu_s : cpu_s;
  const double wall = std::chrono::duration<double>(now - (same ? baseline.at : spawned)).count();
  baseline = {pgid, cpu_s, now};
  if (wall <= 0 || used < 0) return 0;
  return used / wall * 100;
}

InstanceUsage FromReading(const ::sup::resources::ProbeReading& reading, CpuBaseline& baseline,
                          pid_t pgid, TimePoint now, TimePoint spawned) {
  InstanceUsage usage;
  usage.cpu_s = reading.cpu_s;
  usage.cpu_pct = CpuPercent(baseline, pgid, reading.cpu_s, now, spawned);
  usage.rss_bytes = reading.rss_bytes;
  usage.fds = reading.fds;
  usage.threads = reading.threads;
  return usage;
}

}  // namespace sup::daemon::resources
