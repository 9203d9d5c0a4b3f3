#include "init/child_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child/child_plan.h"
#include "child/exec_status.h"

namespace sup::daemon {

bool OwnGroupHasTerminal() { return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp(); }

Result<LaunchedChild> LaunchChild(const std::vector<std::string>& argv, const InheritedSignals& signals) {
  if (argv.empty()) return Fail(Error{ErrorCode::kInvalidConfig, 0, "exec: empty command"});
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  // The same child as a config program's (child/child_plan.cpp), minus what init mode leaves
  // as it found it: the session, fds, limits, credentials, directory and environment pass
  // unchanged, as under tini. Only a foreground supd hands the terminal on: `supd -- cmd &`
  // from a shell must leave it to the shell (tcgetpgrp fails with ENOTTY when fd 0 is not
  // our controlling terminal).
  ChildPlan plan;
  plan.argv = cargv.data();
  plan.exec_like_execvp = true;
  plan.new_session = false;
  plan.take_terminal = OwnGroupHasTerminal();
  plan.keep_inherited_fds = true;
  plan.signals = &signals;

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Fail(SystemError("pipe", errno));
  plan.status_fd = pipe_fds[1];
  // fork, not Spawner's clone(CLONE_VM): init mode is single-threaded, and execvp needs a
  // child of its own.
  const pid_t pid = fork();
  if (pid == 0) RunChild(plan);
  const int fork_error = errno;
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    return Fail(SystemError("fork", fork_error));
  }
  // Also set from the parent so that the group exists before we ever signal -pid (the
  // classic race); EACCES once the child has exec'd is harmless.
  setpgid(pid, pid);

  ChildFailure failure;
  const ExecStatus status = ReadExecStatus(pipe_fds[0], failure);
  close(pipe_fds[0]);
  if (status != ExecStatus::kExeced) {
    int ignored;
    while (waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    if (status == ExecStatus::kTorn) return Fail(SystemError("exec " + argv[0] + " (status pipe)", EIO));
    std::string what = ChildStageName(failure.stage, plan.new_session);
    if (failure.stage == ChildStage::kExec) what += " " + argv[0];
    return Fail(SystemError(std::move(what), failure.error > 0 ? failure.error : EIO));
  }
  LaunchedChild child;
  child.pid = pid;
  child.has_terminal = plan.take_terminal && tcgetpgrp(STDIN_FILENO) == pid;
  return child;
}

}  // namespace sup::daemon
