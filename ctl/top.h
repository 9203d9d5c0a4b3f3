// `supctl top`'s snapshot side: reads the status segment and the counter pages in shared memory
// (no socket involved) and prints one table. The interactive screen is top_screen.h +
// top_interactive.cpp. Link: sup_status (supervisor/status), which has no libuv or spdlog.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "ctl/top_rows.h"
#include "sup/base/result.h"

namespace sup::ctl {

// Reads segment `shm_name` ("/sup"), following a retired segment to its successor, and prints
// one table cut to `width` columns (0 = no limit). Returns the supctl exit code: 0 ok; 4 no
// such segment (supd not running, or status_shm = ""); 5 permission denied; 1 anything else.
int PrintTopSnapshot(const std::string& shm_name, std::ostream& out, std::size_t width = 0);

// The exit code for a segment that cannot be read (as above).
int TopExitCode(const Error& e);

// The table for one snapshot: headline, header, one line per instance. Pure.
std::string RenderTop(const daemon::Snapshot& snap, const CountersBySlot& counters,
                      std::uint64_t now_mono_ns, std::size_t width = 0, const UsageBySlot& usage = {});

}  // namespace sup::ctl
