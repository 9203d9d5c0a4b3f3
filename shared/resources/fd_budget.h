// How many descriptors the accounting probes (process_probe.h) may hold open at once, across
// threads. supd sets the limit from its soft RLIMIT_NOFILE less what its programs may need
// (process/fd_table.h's FdsFor): the probes never take a descriptor a spawn, a pipe or a log
// file would need. A probe refused here reads by path instead (slower, same figures).
#pragma once

#include <atomic>
#include <cstddef>

namespace sup::resources {

class FdBudget {
 public:
  explicit FdBudget(std::ptrdiff_t limit = 0) : limit_(limit) {}

  // Any thread. A lower limit than what is held now takes effect as probes close.
  void set_limit(std::ptrdiff_t limit) { limit_.store(limit, std::memory_order_relaxed); }
  std::ptrdiff_t limit() const { return limit_.load(std::memory_order_relaxed); }
  std::ptrdiff_t held() const { return held_.load(std::memory_order_relaxed); }

  // Takes `n` descriptors if they fit; false (nothing taken) otherwise. Any thread.
  bool TryTake(std::ptrdiff_t n) {
    std::ptrdiff_t held = held_.load(std::memory_order_relaxed);
    do {
      if (held + n > limit_.load(std::memory_order_relaxed)) return false;
    } while (!held_.compare_exchange_weak(held, held + n, std::memory_order_relaxed));
    return true;
  }
  void Give(std::ptrdiff_t n) { held_.fetch_sub(n, std::memory_order_relaxed); }

 private:
  std::atomic<std::ptrdiff_t> limit_;
  std::atomic<std::ptrdiff_t> held_{0};
};

}  // namespace sup::resources
