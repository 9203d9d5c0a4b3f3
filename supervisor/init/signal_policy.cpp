#include "init/signal_policy.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

namespace sup::daemon {

namespace {

// Signals the kernel raises synchronously for a faulting instruction (or asynchronously for
// a memory error, a seccomp kill...). Only these can carry a fault of supd's own.
bool IsFaultSignal(int signo) {
  switch (signo) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
      return true;
    default:
      return false;
  }
}

}  // namespace

SignalAction ClassifySignal(int signo, int si_code, bool is_pid1) {
  if (signo == SIGCHLD) return SignalAction::kReap;
  if (IsFaultSignal(signo) && si_code > 0) return SignalAction::kFault;
  switch (signo) {
    case SIGTSTP: case SIGTTIN: case SIGTTOU:
      // PID 1 never stops: nothing above it would ever continue it.
      return is_pid1 ? SignalAction::kForward : SignalAction::kForwardThenStop;
    case SIGCONT:
      return SignalAction::kForwardContinue;
    default:
      return SignalAction::kForward;
  }
}

int SignalToForward(int signo, bool group) {
  const bool job_control_stop = signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
  return group && job_control_stop ? SIGSTOP : signo;
}

int ExitCodeFromWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;  // stopped/continued reports never end a child; defensive only
}

int ExecFailureExitCode(int err) { return err == ENOENT ? 127 : 126; }

}  // namespace sup::daemon
