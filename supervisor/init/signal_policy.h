// What init mode does with each signal it receives, and the exit-code conventions it
// shares with tini and shells (126/127/128+N). Pure functions: no system calls.
#pragma once

namespace sup::daemon {

enum class SignalAction {
  kReap,              // SIGCHLD: reap every child that changed state; never forwarded
  kForward,           // pass it on to the child (or its group)
  kForwardThenStop,   // TSTP/TTIN/TTOU when not PID 1: forward, then stop supd too (job control)
  kForwardContinue,   // CONT: forward, and hand the terminal back to the child if supd has it
  kFault,             // raised by the kernel inside supd (si_code > 0): default action, never forwarded
};

// `si_code` is siginfo_t::si_code: > 0 means the kernel generated the signal (a fault, or
// SI_KERNEL), <= 0 means a process sent it (SI_USER, SI_QUEUE, SI_TKILL...).
SignalAction ClassifySignal(int signo, int si_code, bool is_pid1);

// What a forwarded signal becomes: with --group, TSTP, TTIN and TTOU go to the child's
// group as SIGSTOP, which no process can catch, so the whole job stops (as with dumb-init).
int SignalToForward(int signo, bool group);

// A waitpid() status as a shell reports it: the exit code, or 128+N for death by signal N.
int ExitCodeFromWaitStatus(int status);

// The exit code for a command that could not be executed: 127 when it does not exist
// (ENOENT), 126 for every other reason (permission, not executable, ...), as shells do.
int ExecFailureExitCode(int err);

}  // namespace sup::daemon
