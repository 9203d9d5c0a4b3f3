// One instance's counter page, created by supd and handed to each of its processes as the fd
// $SUP_COUNTERS_FD. A named page ("/sup.<supd pid>.<n>") is created with shm_mode minus every
// write bit, so nobody can open it for writing by name: the worker writes only through the fd
// it inherited (opened O_RDWR here), and readers (`top`) open it read-only by name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sup/base/result.h"
#include "status/status_types.h"

namespace sup::daemon {

// The page name for counter page `id` of the supd `supd_pid` whose status segment is
// `status_shm` ("/sup" -> "/sup.1234.7"); StatusSegment::Create cleans these up after a crash.
// "" when status_shm is "" (no segment: use an anonymous page).
std::string CounterPageName(std::string_view status_shm, pid_t supd_pid, std::uint64_t id);

class CounterPage {
 public:
  // `shm_name` "" creates an anonymous page (memfd): only supd and the worker can reach it.
  // The page lives as long as this object (so counters survive the instance's restarts).
  static Result<std::unique_ptr<CounterPage>> Create(const std::string& shm_name, mode_t mode);
  CounterPage(const CounterPage&) = delete;
  CounterPage& operator=(const CounterPage&) = delete;
  ~CounterPage();  // closes the fd and unlinks the name

  // O_RDWR and CLOEXEC: the spawner dup2()s it to the child's SUP_COUNTERS_FD number.
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

  // Read on demand (status, /metrics), never polled; untrusted content, see counter_reader.h.
  std::vector<CounterValue> Read() const;
  // The worker's last heartbeat (CLOCK_MONOTONIC ns), 0 if none: feeds the watchdog. Compare it
  // with the time the current run began: a page outlives restarts.
  std::uint64_t HeartbeatNs() const;

 private:
  CounterPage(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_;
  std::string name_;
};

}  // namespace sup::daemon
