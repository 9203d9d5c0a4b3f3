// ExitHistory: the last kExitHistorySize exits of one instance, oldest first, kept across
// restarts and stops (supctl status shows them). Header-only; the driver adds wall time.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

#include "lifecycle/state.h"

namespace sup::daemon {

inline constexpr std::size_t kExitHistorySize = 10;

struct ExitRecord {
  ExitStatus status;
  Clock::duration run_length{};  // from spawn to the main process's exit
  TimePoint at{};                // monotonic time of the exit
  // Why supd ended it, when it did so to restart it ("memory limit 512MiB exceeded (used
  // 530MiB)", "watchdog ..."); "" for an exit of the program's own or an operator's stop.
  std::string reason;
  bool operator==(const ExitRecord&) const = default;
};

class ExitHistory {
 public:
  void Add(const ExitRecord& record) {
    if (records_.size() == kExitHistorySize) records_.pop_front();
    records_.push_back(record);
  }
  const std::deque<ExitRecord>& records() const { return records_; }
  bool empty() const { return records_.empty(); }
  const ExitRecord& last() const { return records_.back(); }  // requires !empty()

 private:
  std::deque<ExitRecord> records_;
};

}  // namespace sup::daemon
