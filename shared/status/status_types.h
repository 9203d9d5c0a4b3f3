// The C++ view of what the status segment and counter pages hold: plain values that the writer
// (StatusSegment, CounterPage) encodes and the readers (ReadSegment, ReadCounters) decode.
// The binary layout itself is public in sup/status_shm.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "status/state_names.h"
#include "sup/status_shm.h"

namespace sup::daemon {

struct SlotExit {
  int code = -1;    // -1 when it died of a signal
  int signal = 0;   // 0 when it exited
  bool core_dumped = false;
  std::uint64_t time_ns = 0;  // CLOCK_REALTIME
  std::uint64_t run_ns = 0;
  bool operator==(const SlotExit&) const = default;  // before SlotData's, which needs it
};

// One instance as published. Names longer than the layout's fields are cut (never overflow).
struct SlotData {
  std::string name;
  pid_t pid = 0;
  sup_state state = SUP_STATE_STOPPED;
  bool ready = false;
  sup_health health = SUP_HEALTH_UNKNOWN;
  std::uint64_t start_time_ns = 0;  // CLOCK_REALTIME of the spawn, 0 = never started
  std::uint64_t start_mono_ns = 0;  // CLOCK_MONOTONIC of the same spawn
  std::uint64_t restarts = 0;
  std::optional<SlotExit> last_exit;
  std::uint64_t captured_bytes = 0;
  std::uint64_t dropped_lines = 0;
  std::string counter_page;  // shm name of its counter page, "" = none or anonymous
  // For the next supd after a crash (proc_stat.h): pid's start time, and how to stop it.
  std::uint64_t pid_start_ticks = 0;  // 0 = unknown
  int stop_signal = 15;
  bool kill_group = true;
  std::uint64_t stop_timeout_ms = 10'000;
  bool operator==(const SlotData&) const = default;
};

struct SegmentInfo {
  pid_t supd_pid = 0;
  std::uint64_t supd_start_ns = 0;
  std::uint64_t supd_start_mono_ns = 0;
  std::uint64_t supd_start_ticks = 0;  // /proc/<pid>/stat field 22, 0 = unknown
  std::uint64_t generation = 0;
  bool retired = false;
  std::uint32_t capacity = 0;
  std::uint32_t slots_used = 0;
};

struct SnapshotSlot {
  std::uint32_t index = 0;
  SlotData data;
};

struct Snapshot {
  SegmentInfo info;
  std::vector<SnapshotSlot> slots;      // in-use slots, by index
  std::uint32_t unreadable_slots = 0;   // slots whose writer never finished (skipped)
};

struct CounterValue {
  std::string name;
  sup_counter_kind kind = SUP_COUNTER_KIND_COUNTER;
  std::uint64_t value = 0;  // a gauge holds an int64_t's bits: use gauge()
  std::int64_t gauge() const { return static_cast<std::int64_t>(value); }
  bool operator==(const CounterValue&) const = default;
};

}  // namespace sup::daemon
