#include "init/child_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/inherited_signals.h"
#include "init/signal_policy.h"

namespace sup::daemon {

namespace {

// Runs in the forked child: only async-signal-safe calls, no allocation (argv was built
// before fork). Never returns: execs, or reports errno on `err_fd` and _exits.
[[noreturn]] void ExecChild(char* const* argv, bool take_terminal, const InheritedSignals& signals,
                           int err_fd) {
  setpgid(0, 0);
  // Every signal is still blocked here, SIGTTOU included, so tcsetpgrp() from what is now a
  // background group succeeds instead of stopping us.
  if (take_terminal) tcsetpgrp(STDIN_FILENO, getpid());
  signals.RestoreDispositions();
  signals.RestoreMask();  // cannot fail with a valid set
  execvp(argv[0], argv);
  int err = errno;
  ssize_t ignored = write(err_fd, &err, sizeof err);
  (void)ignored;
  _exit(ExecFailureExitCode(err));  // only seen if the parent cannot read the pipe
}

}  // namespace

bool OwnGroupHasTerminal() { return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp(); }

Result<LaunchedChild> LaunchChild(const std::vector<std::string>& argv, const InheritedSignals& signals) {
  if (argv.empty()) return Fail(Error{ErrorCode::kInvalidConfig, 0, "exec: empty command"});
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  // Only a foreground supd hands the terminal on: `supd -- cmd &` from a shell must leave it
  // to the shell. (tcgetpgrp fails with ENOTTY when fd 0 is not our controlling terminal.)
  const bool take_terminal = OwnGroupHasTerminal();
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Fail(SystemError("pipe", errno));
  const pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return Fail(SystemError("fork", err));
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    ExecChild(cargv.data(), take_terminal, signals, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  // Also set from the parent so that the group exists before we ever signal -pid (the
  // classic race); EACCES once the child has exec'd is harmless.
  setpgid(pid, pid);

  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipe_fds[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Fail(SystemError("exec " + argv[0], child_errno));
  }
  LaunchedChild child;
  child.pid = pid;
  child.has_terminal = take_terminal && tcgetpgrp(STDIN_FILENO) == pid;
  return child;
}

}  // namespace sup::daemon
