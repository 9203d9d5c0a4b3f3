#include "child/inherited_signals.h"

#include <errno.h>

namespace sup::daemon {

InheritedSignals InheritedSignals::Capture(const sigset_t& mask_at_start) {
  InheritedSignals state = None();
  state.mask = mask_at_start;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current {};
    // EINVAL for glibc's reserved signals (32, 33): never ignored, never passed on.
    if (sigaction(sig, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO) &&
        current.sa_handler == SIG_IGN) {
      sigaddset(&state.ignored, sig);
    }
  }
  return state;
}

InheritedSignals InheritedSignals::None() {
  InheritedSignals state;
  sigemptyset(&state.mask);
  sigemptyset(&state.ignored);
  return state;
}

void InheritedSignals::RestoreDispositions() const noexcept {
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    action.sa_handler = sigismember(&ignored, sig) == 1 ? SIG_IGN : SIG_DFL;
    sigaction(sig, &action, nullptr);  // EINVAL for KILL, STOP and glibc's reserved: fine
  }
}

int InheritedSignals::RestoreMask() const noexcept {
  return sigprocmask(SIG_SETMASK, &mask, nullptr) == 0 ? 0 : errno;
}

}  // namespace sup::daemon
