#include "process/fd_table.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace sup::daemon {
namespace {

constexpr std::size_t kOwnFds = 64;          // stdio, the loop, sockets, logs, spawn slots
constexpr std::size_t kFdsPerInstance = 5;   // stdout and stderr pipes, two log files, counters

}  // namespace

void RaiseOwnFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::size_t FdsFor(const conf::Config& config) {
  std::size_t instances = 0;
  for (const auto& program : config.programs) instances += static_cast<std::size_t>(program.instances);
  return kOwnFds + instances * kFdsPerInstance;
}

std::size_t SpareFds(std::size_t fds) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return limit.rlim_cur > fds ? static_cast<std::size_t>(limit.rlim_cur) - fds : 0;
}

void ReserveFdTable(std::size_t fds) {
  rlimit limit{};
  if (fds == 0 || getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const std::size_t highest = std::min<std::size_t>(fds, limit.rlim_cur) - 1;
  // F_DUPFD takes the lowest free descriptor >= highest, so unlike dup2 it never closes one
  // in use; having it there grows the table to at least highest + 1 for good.
  const int placeholder = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, static_cast<int>(highest));
  if (placeholder >= 0) close(placeholder);
}

}  // namespace sup::daemon
