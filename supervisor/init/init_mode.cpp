#include "init/init_mode.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "init/child_launch.h"
#include "init/signal_policy.h"

namespace sup::daemon {

namespace {

bool IsJobControlStop(int signo) { return signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU; }

// A fault of supd's own: take the default action (core dump / death) as if never blocked.
[[noreturn]] void ReRaiseFault(int signo) {
  signal(signo, SIG_DFL);
  raise(signo);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signo);
  sigprocmask(SIG_UNBLOCK, &one, nullptr);  // delivered here, and kills us
  abort();
}

// One run of init mode. Lives on RunInitMode's stack; single-threaded.
class InitSupervisor {
 public:
  InitSupervisor(const InitOptions& opts, LaunchedChild child)
      : opts_(opts), child_(child), is_pid1_(IsPid1()), child_has_terminal_(child.has_terminal) {
    sigfillset(&all_);
  }

  // Forwards signals and reaps until the child exits; returns its wait status.
  int RunUntilChildExits() {
    while (!child_status_) {
      siginfo_t info;
      const int signo = sigwaitinfo(&all_, &info);
      if (signo < 0) continue;  // EINTR only (a stop/continue of supd itself)
      switch (ClassifySignal(signo, info.si_code, is_pid1_)) {
        case SignalAction::kReap: Reap(); break;
        case SignalAction::kForward: Forward(signo); break;
        case SignalAction::kForwardThenStop:
          Forward(signo);
          // Its stop report must not stop us a second time (with --group it stops by SIGSTOP,
          // which OnChildStopped never follows anyway).
          child_stop_expected_ = !opts_.group;
          raise(SIGSTOP);
          break;
        case SignalAction::kForwardContinue: Continue(); break;
        case SignalAction::kFault: ReRaiseFault(signo);
      }
    }
    return *child_status_;
  }

  // Ends the leftovers (see init_mode.h) and reaps until supd has no child at all.
  bool EndLeftovers() {
    const SweepScope scope = is_pid1_ ? SweepScope::kNamespace : SweepScope::kDescendants;
    bool killed = TerminateOrphans(scope, opts_.stop_timeout,
                                   [this](std::chrono::milliseconds max) { return WaitDuringSweep(max); });
    int status;
    while (waitpid(-1, &status, 0) > 0 || errno == EINTR) {
    }
    return killed;
  }

  // The terminal went to the child's group from ours; give it back to ours.
  void RestoreTerminal() {
    if (!child_has_terminal_) return;
    if (tcgetpgrp(STDIN_FILENO) == child_.pid) tcsetpgrp(STDIN_FILENO, getpgrp());  // SIGTTOU blocked
  }

 private:
  void Forward(int signo) {
    const bool group = opts_.group || (signo == SIGCONT && continue_group_);
    kill(group ? -child_.pid : child_.pid, SignalToForward(signo, opts_.group));
  }

  void Continue() {
    child_stop_expected_ = false;
    // `fg` in the shell gave the terminal to supd's group (also after a start in the
    // background); pass it on to the child's.
    if (OwnGroupHasTerminal()) child_has_terminal_ = tcsetpgrp(STDIN_FILENO, child_.pid) == 0;
    Forward(SIGCONT);
    continue_group_ = false;
  }

  void Reap() {
    for (;;) {
      int status;
      const pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED);
      if (pid <= 0) return;
      if (pid != child_.pid) continue;  // an adopted orphan: reaped, nothing else to do
      if (WIFSTOPPED(status)) {
        OnChildStopped(WSTOPSIG(status));
      } else {
        child_status_ = status;
      }
    }
  }

  // ^Z at the terminal stops the child's (foreground) group, not supd: follow it, so that
  // the shell sees its job stop and gets its terminal back. Not as PID 1, and not when we
  // forwarded the stop ourselves (we already stopped once for it).
  void OnChildStopped(int stop_signal) {
    if (is_pid1_ || !IsJobControlStop(stop_signal)) return;
    if (child_stop_expected_) {
      child_stop_expected_ = false;
      return;
    }
    continue_group_ = true;  // the terminal stopped the whole group: continue all of it
    raise(SIGSTOP);
  }

  // During the leftover sweep: reap on CHLD; a TERM or INT cuts the grace short; other
  // signals have no child to go to and are dropped.
  bool WaitDuringSweep(std::chrono::milliseconds max) {
    timespec ts{static_cast<time_t>(max.count() / 1000), static_cast<long>(max.count() % 1000) * 1000000L};
    siginfo_t info;
    const int signo = sigtimedwait(&all_, &info, &ts);
    if (signo < 0) return true;  // timeout or EINTR
    if (ClassifySignal(signo, info.si_code, is_pid1_) == SignalAction::kFault) ReRaiseFault(signo);
    if (signo == SIGCHLD) {
      int status;
      while (waitpid(-1, &status, WNOHANG) > 0) {
      }
    }
    return signo != SIGTERM && signo != SIGINT;
  }

  const InitOptions& opts_;
  const LaunchedChild child_;
  const bool is_pid1_;
  bool child_has_terminal_;  // we gave the terminal to the child's group (at start or on CONT)
  sigset_t all_;
  std::optional<int> child_status_;
  bool child_stop_expected_ = false;
  bool continue_group_ = false;
};

}  // namespace

int RunInitMode(const InitOptions& opts) {
  // An inherited SIG_IGN (or SA_NOCLDWAIT) on SIGCHLD would make the kernel reap our
  // children behind our back: the child's status would be lost.
  signal(SIGCHLD, SIG_DFL);
  if (!IsPid1() && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    std::fprintf(stderr, "supd: cannot become a child subreaper: %s (orphans will not be reaped)\n",
                 std::strerror(errno));
  }
  Result<LaunchedChild> child = LaunchChild(opts.argv, opts.signals);
  if (!child) {
    std::fprintf(stderr, "supd: %s\n", child.error().Message().c_str());
    return ExecFailureExitCode(child.error().sys);
  }
  // The child started in supd's directory; supd itself keeps none (nor its mount) busy.
  if (chdir("/") != 0) std::fprintf(stderr, "supd: chdir /: %s\n", std::strerror(errno));
  InitSupervisor init(opts, *child);
  const int code = ExitCodeFromWaitStatus(init.RunUntilChildExits());
  if (init.EndLeftovers()) {
    std::fprintf(stderr, "supd: processes left after the child exited did not stop within %lldms: SIGKILLed\n",
                 static_cast<long long>(opts.stop_timeout.count()));
  }
  init.RestoreTerminal();
  return code;
}

}  // namespace sup::daemon
