// Reading counter pages, which workers write: every page is untrusted input. Invalid entries
// (bad names, kinds, states, counts out of range, duplicates) are skipped, never trusted.
// Pages are read with pread, never mapped: a worker may shrink its page under a mapping (SIGBUS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sup/base/result.h"
#include "status/status_types.h"

namespace sup::daemon {

// Decodes the page at `page` (`size` bytes, any alignment). Empty when the header is invalid.
std::vector<CounterValue> ReadCounters(const void* page, std::size_t size);
// The worker's last sup_heartbeat() (CLOCK_MONOTONIC ns), 0 when none or the page is invalid.
std::uint64_t ReadHeartbeat(const void* page, std::size_t size);

// The same, from an open page (pread of one page; a short page yields what ReadCounters makes of it).
Result<std::vector<CounterValue>> ReadCountersFromFd(int fd);
std::uint64_t ReadHeartbeatFromFd(int fd);
// Opens the page named `shm_name` read-only and reads it (supctl top, /metrics in another process).
Result<std::vector<CounterValue>> ReadCountersByName(const std::string& shm_name);

// True for a name sup_counter() accepts: <= 47 bytes of [a-zA-Z_:][a-zA-Z0-9_:]*.
bool ValidCounterName(std::string_view name);

}  // namespace sup::daemon
