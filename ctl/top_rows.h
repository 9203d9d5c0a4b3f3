// The rows and columns of `supctl top`, from one status-segment snapshot. Pure: no I/O, so the
// snapshot printer (top.cpp) and the interactive screen (top_screen.cpp) lay out the same table.
// A column is one entry of TopColumns(): adding one (CPU% and MEM get their values from the
// per-program resources, SPEC §9.2) is a field of TopRow, filled in TopRows, and that entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/text_width.h"
#include "status/status_types.h"

namespace sup::ctl {

using CountersBySlot = std::map<std::uint32_t, std::vector<daemon::CounterValue>>;

// What a slot's processes use (SPEC §9.2), read by supctl itself from /proc: supd publishes no
// figures on a timer. cpu_pct is over the time since the previous reading of the same pid (the
// interactive screen's last refresh), else since the spawn.
struct SlotUsage {
  pid_t pid = 0;
  double cpu_s = 0;
  double cpu_pct = 0;
  std::uint64_t rss_bytes = 0;
  std::uint64_t read_mono_ns = 0;
};
using UsageBySlot = std::map<std::uint32_t, SlotUsage>;

struct TopRow {
  std::string name;
  std::string state;
  std::string pid = "-";
  std::string cpu = "-";  // CPU%: "12.5"; "-" without a process (or /proc unreadable)
  std::string mem = "-";  // MEM: "530MiB"
  std::string uptime = "-";
  std::string restarts;
  std::string ready;      // "ready", "-", "ready/healthy", "-/unhealthy": "-" = no health news
  std::string counters = "-";
  const char* state_sgr = "";  // colour of the state cell ("" = none)
};

struct TopColumn {
  std::string_view header;
  std::string TopRow::*cell;
  bool right_aligned;
};

// In display order; the last one (COUNTERS) is the one cut to the terminal's width.
const std::vector<TopColumn>& TopColumns();

std::vector<TopRow> TopRows(const daemon::Snapshot& snap, const CountersBySlot& counters,
                            std::uint64_t now_mono_ns, const UsageBySlot& usage = {});

// "supd pid 12, up 5m03s, 3 instances".
std::string TopHeadline(const daemon::Snapshot& snap, std::uint64_t now_mono_ns);

// The header line then one line per row, columns two spaces apart, each line cut to `width`
// display columns (0 = no limit) and without trailing spaces. With `colour`, state cells are
// painted and the row at `highlight` (an index into rows, or npos) is shown in reverse video.
std::vector<std::string> LayoutTable(const std::vector<TopRow>& rows, std::size_t width, bool colour,
                                     std::size_t highlight = std::string::npos);

// "12s", "5m03s", "2h05m", "3d04h".
std::string HumanDuration(std::uint64_t ns);

// Every instance's counter page; a page that cannot be read shows no counters.
CountersBySlot ReadAllCounters(const daemon::Snapshot& snap);

// Every running slot's usage, in one /proc pass (its process group: pid = pgid, as supd
// spawns); `previous` gives cpu_pct's start.
UsageBySlot ReadAllUsage(const daemon::Snapshot& snap, const UsageBySlot& previous = {});

std::uint64_t MonoNowNs();

}  // namespace sup::ctl
