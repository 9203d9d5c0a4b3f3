// C++ face of libsupagent: value types over the C API in sup/agent.h. A Counter or Gauge is a
// handle to an entry on the process's counter page (which outlives it); copying is free.
// Like the C API, nothing here throws or allocates, and an unsupervised process gets no-ops.
#pragma once

#include <cstdint>
#include <string_view>

#include "sup/agent.h"

namespace sup::agent {

class Counter {
 public:
  Counter() = default;
  // `name` must be NUL-terminated; valid() says whether it was registered (errno says why not).
  explicit Counter(const char* name) noexcept : c_(sup_counter(name)) {}
  void Add(std::uint64_t delta = 1) const noexcept { sup_counter_add(c_, delta); }
  Counter& operator++() noexcept { Add(1); return *this; }
  bool valid() const noexcept { return c_ != nullptr; }

 private:
  sup_counter_t* c_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(const char* name) noexcept : g_(sup_gauge(name)) {}
  void Set(std::int64_t value) const noexcept { sup_gauge_set(g_, value); }
  bool valid() const noexcept { return g_ != nullptr; }

 private:
  sup_counter_t* g_ = nullptr;
};

inline void Heartbeat() noexcept { sup_heartbeat(); }
inline bool HasCounters() noexcept { return sup_agent_has_counters() != 0; }

// Same returns as sd_notify(): 1 sent, 0 not supervised, -errno.
inline int Notify(const char* msg) noexcept { return sup_notify(msg); }
inline int NotifyReady() noexcept { return sup_notify_ready(); }
inline int NotifyStatus(const char* text) noexcept { return sup_notify_status(text); }
inline int NotifyWatchdog() noexcept { return sup_notify_watchdog(); }
inline int NotifyStopping() noexcept { return sup_notify_stopping(); }
inline int NotifyReloading() noexcept { return sup_notify_reloading(); }
inline int NotifyBarrier(int timeout_ms = -1) noexcept { return sup_notify_barrier(timeout_ms); }

// RAII for a graceful stop: announces STOPPING=1 when the scope that serves requests ends.
class StoppingOnExit {
 public:
  StoppingOnExit() = default;
  StoppingOnExit(const StoppingOnExit&) = delete;
  StoppingOnExit& operator=(const StoppingOnExit&) = delete;
  ~StoppingOnExit() { sup_notify_stopping(); }
};

}  // namespace sup::agent
