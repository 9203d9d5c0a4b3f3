#include "child/exec_status.h"

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace sup::daemon {

ExecStatus ReadExecStatus(int status_read, ChildFailure& failure) {
  failure = ChildFailure{};
  std::size_t got = 0;
  while (got < sizeof failure) {
    const ssize_t n = read(status_read, reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == 0) return ExecStatus::kExeced;
  return got == sizeof failure ? ExecStatus::kFailed : ExecStatus::kTorn;
}

}  // namespace sup::daemon
