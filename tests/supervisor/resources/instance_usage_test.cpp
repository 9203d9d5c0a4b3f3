// supd's side of per-program resources: cpu_pct's interval (since the previous reading of the
// same process group, else since the spawn), and one instance's usage from a fixture /proc.
#include "resources/instance_usage.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

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

TEST_CASE("UsageReader: the group's sums and the main process's descriptors", "[resources]") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("sup-usage-fixture-" + std::to_string(getpid()));
  fs::create_directories(root / "50" / "fd");
  fs::create_directories(root / "51" / "fd");
  const long tick = sysconf(_SC_CLK_TCK);
  const auto stat = [&](int pid, int utime) {
    return std::to_string(pid) + " (w) S 1 50 50 0 -1 0 0 0 0 0 " + std::to_string(utime) +
           " 0 0 0 20 0 2 0 1 1 100 0\n";
  };
  std::ofstream(root / "50" / "stat") << stat(50, 3 * tick);
  std::ofstream(root / "51" / "stat") << stat(51, tick);
  for (const char* fd : {"0", "1", "2", "3"}) std::ofstream(root / "51" / "fd" / fd);
  UsageReader reader(root.string());
  const auto usage = reader.Read({50, 51, ""});
  REQUIRE(usage);
  CHECK(usage->cpu_s == Approx(4.0));
  CHECK(usage->threads == 4);
  CHECK(usage->rss_bytes == 200u * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)));
  CHECK(usage->fds == 4);  // of the main pid (MAINPID may differ from the group's leader)
  CHECK_FALSE(reader.Read({60, 60, ""}));
  CHECK_FALSE(reader.Read({0, 0, ""}));
  fs::remove_all(root);
}
