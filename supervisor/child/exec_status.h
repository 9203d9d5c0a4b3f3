// The parent's end of the exec-status pipe: the pipe is O_CLOEXEC, so EOF with nothing read
// means the child exec'd; a ChildFailure means RunChild stopped at that step and is exiting.
#pragma once

#include "child/child_plan.h"

namespace sup::daemon {

enum class ExecStatus {
  kExeced,  // EOF at once: the program runs
  kFailed,  // `failure` says which step and errno; the child is exiting with 127
  kTorn,    // a partial report: the child failed, but how is unknown
};

// Reads `status_read` to EOF (retrying EINTR). Blocks until the child execs or fails, which
// is a few system calls away: the callers wait here on purpose (a spawn's result is known
// when it returns).
ExecStatus ReadExecStatus(int status_read, ChildFailure& failure);

}  // namespace sup::daemon
