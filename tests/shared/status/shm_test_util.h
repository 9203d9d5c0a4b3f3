// Helpers shared by the status tests: unique shm names, cleanup by RAII, a dead pid.
#pragma once

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace sup::daemon::testing {

// A fresh shm name per call, unlinked (with its "<name>." pages left to their owners) at scope end.
struct ShmName {
  std::string name;
  ShmName() {
    static std::atomic<int> n{0};
    name = "/sup-test-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  }
  ~ShmName() { shm_unlink(name.c_str()); }
};

// The pid of a child that has exited and been reaped: kill(pid, 0) says ESRCH (pids are not
// reused that fast on a test machine).
inline pid_t DeadPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

}  // namespace sup::daemon::testing
