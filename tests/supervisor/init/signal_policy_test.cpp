#include "init/signal_policy.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

using sup::daemon::ClassifySignal;
using sup::daemon::ExecFailureExitCode;
using sup::daemon::ExitCodeFromWaitStatus;
using sup::daemon::SignalAction;
using sup::daemon::SignalToForward;

TEST_CASE("ClassifySignal: SIGCHLD -> reaped, never forwarded", "[init]") {
  CHECK(ClassifySignal(SIGCHLD, CLD_EXITED, false) == SignalAction::kReap);
  CHECK(ClassifySignal(SIGCHLD, SI_USER, true) == SignalAction::kReap);
}

TEST_CASE("ClassifySignal: HUP, USR1, TERM, INT and real-time signals -> forwarded", "[init]") {
  for (int sig : {SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGQUIT, SIGWINCH, SIGALRM, SIGABRT, SIGRTMIN + 3}) {
    CHECK(ClassifySignal(sig, SI_USER, false) == SignalAction::kForward);
    CHECK(ClassifySignal(sig, SI_QUEUE, true) == SignalAction::kForward);
  }
}

TEST_CASE("ClassifySignal: a fault raised by the kernel -> default action, not forwarded", "[init]") {
  CHECK(ClassifySignal(SIGSEGV, SEGV_MAPERR, false) == SignalAction::kFault);
  CHECK(ClassifySignal(SIGBUS, BUS_ADRERR, true) == SignalAction::kFault);
  CHECK(ClassifySignal(SIGFPE, FPE_INTDIV, false) == SignalAction::kFault);
  CHECK(ClassifySignal(SIGILL, ILL_ILLOPC, false) == SignalAction::kFault);
  CHECK(ClassifySignal(SIGSEGV, SI_KERNEL, false) == SignalAction::kFault);
}

TEST_CASE("ClassifySignal: SEGV, BUS, FPE, ILL sent with kill, sigqueue or tkill -> forwarded", "[init]") {
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    CHECK(ClassifySignal(sig, SI_USER, false) == SignalAction::kForward);
    CHECK(ClassifySignal(sig, SI_QUEUE, false) == SignalAction::kForward);
    CHECK(ClassifySignal(sig, SI_TKILL, true) == SignalAction::kForward);
  }
}

TEST_CASE("ClassifySignal: TSTP, TTIN, TTOU when not PID 1 -> forwarded, then supd stops", "[init]") {
  for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
    CHECK(ClassifySignal(sig, SI_USER, false) == SignalAction::kForwardThenStop);
  }
}

TEST_CASE("ClassifySignal: TSTP, TTIN, TTOU as PID 1 -> forwarded only", "[init]") {
  for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
    CHECK(ClassifySignal(sig, SI_USER, true) == SignalAction::kForward);
  }
}

TEST_CASE("ClassifySignal: CONT -> forwarded as a continue", "[init]") {
  CHECK(ClassifySignal(SIGCONT, SI_USER, false) == SignalAction::kForwardContinue);
  CHECK(ClassifySignal(SIGCONT, SI_USER, true) == SignalAction::kForwardContinue);
}

TEST_CASE("ExitCodeFromWaitStatus: exit N -> N, death by signal N -> 128+N", "[init]") {
  CHECK(ExitCodeFromWaitStatus(0) == 0);
  CHECK(ExitCodeFromWaitStatus(3 << 8) == 3);
  CHECK(ExitCodeFromWaitStatus(255 << 8) == 255);
  CHECK(ExitCodeFromWaitStatus(SIGKILL) == 137);
  CHECK(ExitCodeFromWaitStatus(SIGTERM) == 143);
  CHECK(ExitCodeFromWaitStatus(SIGSEGV | 0x80) == 128 + SIGSEGV);  // core dumped
}

TEST_CASE("ExecFailureExitCode: ENOENT -> 127, any other exec error -> 126", "[init]") {
  CHECK(ExecFailureExitCode(ENOENT) == 127);
  CHECK(ExecFailureExitCode(EACCES) == 126);
  CHECK(ExecFailureExitCode(ENOEXEC) == 126);
  CHECK(ExecFailureExitCode(ENOTDIR) == 126);
  CHECK(ExecFailureExitCode(EAGAIN) == 126);
}

TEST_CASE("SignalToForward: TSTP, TTIN, TTOU with --group -> SIGSTOP to the group", "[init]") {
  for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
    CHECK(SignalToForward(sig, true) == SIGSTOP);
    CHECK(SignalToForward(sig, false) == sig);
  }
}

TEST_CASE("SignalToForward: any other signal -> forwarded as it came, with or without --group", "[init]") {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCONT, SIGWINCH, SIGRTMIN}) {
    CHECK(SignalToForward(sig, true) == sig);
    CHECK(SignalToForward(sig, false) == sig);
  }
}
