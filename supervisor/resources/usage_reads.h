// Reads the probes of one reply (status, /metrics, a memory_max sample) off the event loop
// (SPEC §9.1: with 10 000 instances no request holds the loop for more than 50 ms; §9.2).
// On libuv's thread pool, in one chunk per core; `done` runs on the loop thread
// once every chunk has finished, with one reading per probe in order (nullopt: nothing of
// that instance alive). A probe is shared with the job: an instance whose process ends (and
// drops its probe) meanwhile leaves the job reading descriptors that are still open, on the
// process that ended, never closed or reused ones. When a probe has no cgroup, one /proc scan
// for the whole job finds process groups' members first (the cost of cgroup = "off").
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "resources/process_probe.h"

namespace sup::daemon::resources {

using Probes = std::vector<std::shared_ptr<::sup::resources::ProcessProbe>>;
using Readings = std::vector<std::optional<::sup::resources::ProbeReading>>;
using ReadingsFn = std::function<void(Readings)>;

// A job is split into one chunk per pool thread, which StartPool makes one per CPU (at most
// 4: more chunks would only take turns on the cores), of at least this many probes: a chunk's reads (~7 us a probe) must
// outweigh the pool's hand-off.
inline constexpr std::size_t kMinProbesPerChunk = 64;

// A selection of at most this many probes, none needing a /proc scan, is read on the loop
// thread instead: the pool's two hand-offs (a pool thread woken, then the loop woken by its
// result) take longer on this VM than the reads themselves (~7 us a held probe, ~25 us by
// path), and `supctl status web` paid them at every call. 32 reads by path hold the loop under
// 1 ms, far from SPEC §9.1's 50 ms.
inline constexpr std::size_t kReadHereAtMost = 32;

// Whether reading `probes` needs a /proc scan (some probe finds its members by process group).
bool NeedsScan(const Probes& probes);

// Reads them here and now, on the calling thread (the unit tests' runner; a chunk's work).
Readings ReadNow(const Probes& probes);

// Starts libuv's thread pool now, with one thread per CPU (at most 4). libuv makes its threads at the first work and aborts the
// process if it cannot: at start-up that is a failed start, later (a lowered RLIMIT_AS, a
// full pid table) it would be a crash of supd at someone's `status`.
void StartPool(uv_loop_t& loop);

// Reads them on `loop`'s thread pool and calls `done` on the loop thread; a small selection
// (kReadHereAtMost) is read here and `done` called before this returns, as it is when the
// pool refuses the work.
void ReadOnPool(uv_loop_t& loop, Probes probes, ReadingsFn done);

}  // namespace sup::daemon::resources
