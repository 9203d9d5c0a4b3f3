// Agent tests run the agent in forked children: its page is mapped once per process, so each
// scenario needs a fresh process with its own environment. Children exit with a code, never throw.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace sup::agent::testing {

// Runs `body` in a child and returns its exit code (-signal if it died of one; -1000 on fork failure).
inline int InChild(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1000;
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    _exit(code);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace sup::agent::testing
