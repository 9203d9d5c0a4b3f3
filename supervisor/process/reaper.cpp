#include "process/reaper.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace sup::daemon {

ExitStatus ExitStatusFromWait(int wait_status) {
  if (WIFEXITED(wait_status)) return ExitStatus::Code(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return ExitStatus::Signal(WTERMSIG(wait_status), WCOREDUMP(wait_status));
  return ExitStatus{-1, 0, false};  // stopped/continued: not asked for (no WUNTRACED)
}

Reaper::Reaper(uv_loop_t& loop) : sigchld_(loop) {}

Result<void> Reaper::Start() {
  auto started = sigchld_.Start(SIGCHLD, [this](int) { ReapNow(); });
  if (!started) return started;
  ReapNow();
  return {};
}

void Reaper::Stop() { sigchld_.Stop(); }

void Reaper::Watch(pid_t pid, ExitFn on_exit) { watched_[pid] = std::move(on_exit); }

void Reaper::Unwatch(pid_t pid) { watched_.erase(pid); }

int Reaper::ReapNow() {
  int reaped = 0;
  for (;;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;  // 0: children left but none finished; ECHILD: none left
    ++reaped;
    const ExitStatus exit = ExitStatusFromWait(status);
    if (auto it = watched_.find(pid); it != watched_.end()) {
      ExitFn fn = std::move(it->second);
      watched_.erase(it);  // before the call: it may Watch a new pid (a restart)
      if (fn) fn(exit);
    } else if (orphan_fn_) {
      OrphanFn fn = orphan_fn_;  // a copy: the handler may replace itself
      fn(pid, exit);
    }
  }
  return reaped;
}

Result<void> BecomeSubreaper() {
  if (getpid() == 1) return {};
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return Fail(SystemError("prctl PR_SET_CHILD_SUBREAPER", errno));
  }
  return {};
}

}  // namespace sup::daemon
