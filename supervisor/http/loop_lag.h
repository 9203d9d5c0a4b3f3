// LoopLag: how long supd's loop stays busy in one iteration, from waking up in epoll to
// waiting again: the longest an event that arrived meanwhile could have waited. Measured by
// a uv_check (after the I/O callbacks) and a uv_prepare (just before the loop blocks again)
// with two clock reads per iteration: no timer, no system call, no wake-up of its own.
// Loop thread only; the handles are unreferenced, so they never keep the loop alive.
#pragma once

#include <uv.h>

#include <cstdint>

#include "loop/uv_handle.h"

namespace sup::daemon::http {

class LoopLag {
 public:
  explicit LoopLag(uv_loop_t& loop);
  LoopLag(const LoopLag&) = delete;
  LoopLag& operator=(const LoopLag&) = delete;
  ~LoopLag() = default;  // UvHandle closes both handles

  // The longest busy iteration since the previous call, in seconds (the first window starts
  // at construction, busy until the loop first waits);
  // starts a new window. The iteration running now counts up to this moment.
  double TakeMax();

 private:
  static void OnCheck(uv_check_t* handle) noexcept;
  static void OnPrepare(uv_prepare_t* handle) noexcept;
  // Busy time of the current iteration so far, in ns (0 before the first wake-up).
  std::uint64_t BusySoFar(std::uint64_t now_ns) const;
  // When the loop last returned from epoll (ns, uv_hrtime's clock).
  std::uint64_t WakeUpNs() const;

  uv_loop_t& loop_;
  UvHandle<uv_check_t> check_;
  UvHandle<uv_prepare_t> prepare_;
  std::uint64_t wait_ns_ = 0;     // when the loop last began to wait (the last prepare)
  std::uint64_t check_ns_ = 0;    // when the last check ran (after that wake-up's callbacks)
  std::uint64_t io_busy_ns_ = 0;  // wake-up to check of the current iteration
  bool awake_ = false;            // between a check and the next prepare
  std::uint64_t max_ns_ = 0;
};

}  // namespace sup::daemon::http
