#include "status/slot_seqlock.h"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace sup::daemon {
namespace {

constexpr std::size_t kWords = sizeof(sup_status_slot_data) / sizeof(std::uint64_t);

// The slot lives in shared memory written concurrently: every access is an atomic on a word,
// so a racing read is a stale value (caught by seq), never undefined behaviour.
std::uint64_t* Words(sup_status_slot* slot) { return reinterpret_cast<std::uint64_t*>(&slot->data); }
std::atomic_ref<std::uint64_t> Seq(const sup_status_slot* slot) {
  return std::atomic_ref<std::uint64_t>(const_cast<sup_status_slot*>(slot)->seq);
}

template <std::size_t N>
void CopyString(char (&dst)[N], const std::string& src) {
  const std::size_t n = std::min(src.size(), N - 1);
  std::memcpy(dst, src.data(), n);
  std::memset(dst + n, 0, N - n);
}

template <std::size_t N>
std::string BoundedString(const char (&src)[N]) {
  return std::string(src, strnlen(src, N));
}

}  // namespace

sup_status_slot_data EncodeSlot(const SlotData& d) {
  sup_status_slot_data raw;
  std::memset(&raw, 0, sizeof(raw));
  raw.in_use = 1;
  raw.state = static_cast<std::uint32_t>(d.state);
  raw.ready = d.ready ? 1 : 0;
  raw.health = static_cast<std::uint32_t>(d.health);
  raw.pid = d.pid;
  raw.start_time_ns = d.start_time_ns;
  raw.start_mono_ns = d.start_mono_ns;
  raw.restarts = d.restarts;
  if (d.last_exit) {
    raw.has_last_exit = 1;
    raw.exit_code = d.last_exit->code;
    raw.exit_signal = d.last_exit->signal;
    raw.exit_core_dumped = d.last_exit->core_dumped ? 1 : 0;
    raw.exit_time_ns = d.last_exit->time_ns;
    raw.exit_run_ns = d.last_exit->run_ns;
  } else {
    raw.exit_code = -1;
  }
  raw.captured_bytes = d.captured_bytes;
  raw.dropped_lines = d.dropped_lines;
  CopyString(raw.name, d.name);
  CopyString(raw.counter_page, d.counter_page);
  raw.pid_start_ticks = d.pid_start_ticks;
  raw.stop_signal = static_cast<std::uint32_t>(d.stop_signal);
  raw.kill_group = d.kill_group ? 1 : 0;
  raw.stop_timeout_ms = d.stop_timeout_ms;
  return raw;
}

std::optional<SlotData> DecodeSlot(const sup_status_slot_data& raw) {
  if (raw.in_use == 0) return std::nullopt;
  // Values outside the enums make the slot invalid (and converting them would be undefined).
  if (raw.state > SUP_STATE_FATAL || raw.health > SUP_HEALTH_UNHEALTHY) return std::nullopt;
  SlotData d;
  d.name = BoundedString(raw.name);
  d.pid = static_cast<pid_t>(raw.pid);
  d.state = static_cast<sup_state>(raw.state);
  d.ready = raw.ready != 0;
  d.health = static_cast<sup_health>(raw.health);
  d.start_time_ns = raw.start_time_ns;
  d.start_mono_ns = raw.start_mono_ns;
  d.restarts = raw.restarts;
  if (raw.has_last_exit != 0) {
    d.last_exit = SlotExit{raw.exit_code, raw.exit_signal, raw.exit_core_dumped != 0,
                           raw.exit_time_ns, raw.exit_run_ns};
  }
  d.captured_bytes = raw.captured_bytes;
  d.dropped_lines = raw.dropped_lines;
  d.counter_page = BoundedString(raw.counter_page);
  d.pid_start_ticks = raw.pid_start_ticks;
  d.stop_signal = static_cast<int>(raw.stop_signal);
  d.kill_group = raw.kill_group != 0;
  d.stop_timeout_ms = raw.stop_timeout_ms;
  return d;
}

void SeqlockWrite(sup_status_slot* slot, const sup_status_slot_data& data) {
  auto seq = Seq(slot);
  const std::uint64_t s = seq.load(std::memory_order_relaxed);
  seq.store(s | 1, std::memory_order_relaxed);  // odd: readers back off (| 1 repairs a torn seq)
  std::atomic_thread_fence(std::memory_order_release);
  std::uint64_t src[kWords];
  std::memcpy(src, &data, sizeof(src));
  std::uint64_t* dst = Words(slot);
  for (std::size_t i = 0; i < kWords; ++i) {
    std::atomic_ref<std::uint64_t>(dst[i]).store(src[i], std::memory_order_relaxed);
  }
  seq.store((s | 1) + 1, std::memory_order_release);
}

std::optional<sup_status_slot_data> SeqlockRead(const sup_status_slot* slot, int patience_ms) {
  auto seq = Seq(slot);
  std::uint64_t* words = Words(const_cast<sup_status_slot*>(slot));
  std::uint64_t copy[kWords];
  constexpr int kSpins = 1024;
  for (int attempt = 0; attempt < kSpins + patience_ms; ++attempt) {
    if (attempt >= kSpins) {
      timespec ms{0, 1'000'000};
      nanosleep(&ms, nullptr);
    } else if ((attempt & 63) == 63) {
      sched_yield();
    }
    const std::uint64_t before = seq.load(std::memory_order_acquire);
    if (before & 1) continue;
    for (std::size_t i = 0; i < kWords; ++i) {
      copy[i] = std::atomic_ref<std::uint64_t>(words[i]).load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq.load(std::memory_order_relaxed) == before) {
      sup_status_slot_data out;
      std::memcpy(&out, copy, sizeof(out));
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace sup::daemon
