// supd's side of per-program resources: cpu_pct's interval (since the previous reading of the
// same process group, else since the spawn), and a probe's reading as status shows it.
#include "resources/instance_usage.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using sup::daemon::Clock;
using sup::daemon::TimePoint;
using namespace sup::daemon::resources;

TEST_CASE("CpuPercent: since the spawn first, then since the previous reading", "[resources]") {
  const TimePoint spawned{100s};
  CpuBaseline base;
  CHECK(CpuPercent(base, 7, 1.0, spawned + 2s, spawned) == Approx(50.0));
  CHECK(base.pgid == 7);
  CHECK(CpuPercent(base, 7, 2.0, spawned + 3s, spawned) == Approx(100.0));
  CHECK(CpuPercent(base, 7, 2.0, spawned + 3s, spawned) == 0.0);  // no time passed
  // A new process group (a restart): its own spawn is the start again.
  const TimePoint respawned{200s};
  CHECK(CpuPercent(base, 9, 0.5, respawned + 2s, respawned) == Approx(25.0));
}

TEST_CASE("FromReading: the reading's figures, cpu_pct against the baseline", "[resources]") {
  const TimePoint spawned{100s};
  CpuBaseline base;
  sup::resources::ProbeReading r;
  r.cpu_s = 1.0;
  r.rss_bytes = 4096;
  r.threads = 3;
  r.fds = 7;
  const InstanceUsage u = FromReading(r, base, 7, spawned + 4s, spawned);
  CHECK(u.cpu_s == 1.0);
  CHECK(u.cpu_pct == Approx(25.0));
  CHECK(u.rss_bytes == 4096u);
  CHECK(u.threads == 3);
  CHECK(u.fds == 7);
  CHECK(base.cpu_s == 1.0);
}
