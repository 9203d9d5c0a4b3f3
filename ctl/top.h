// `supctl top`: a live table of every instance's state and counters, read straight from the
// status segment and the counter pages in shared memory (no socket involved).
// Link: sup_status (supervisor/status), which has no libuv or spdlog.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "status/status_types.h"

namespace sup::ctl {

// Reads segment `shm_name` ("/sup"), following a retired segment to its successor, and prints
// one table (`once`) or refreshes it every second until interrupted (in place on a terminal,
// one table after another otherwise). Returns the supctl exit code: 0 ok; 4 no such segment
// (supd not running, or status_shm = ""); 5 permission denied; 1 anything else.
int RunTop(const std::string& shm_name, bool once, std::ostream& out);

// The table for one snapshot: `counters` by slot index, `now_mono_ns` for uptimes. Pure.
std::string RenderTop(const daemon::Snapshot& snap,
                      const std::map<std::uint32_t, std::vector<daemon::CounterValue>>& counters,
                      std::uint64_t now_mono_ns);

// "12s", "5m03s", "2h05m", "3d04h".
std::string HumanDuration(std::uint64_t ns);

}  // namespace sup::ctl
