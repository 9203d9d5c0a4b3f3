// What one fork/exec needs (SpawnRequest) and what it yields (SpawnedChild). Plain values:
// the caller resolves users, expands strings and builds the environment beforehand.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loop/unique_fd.h"
#include "sup/conf/config.h"

namespace sup::daemon {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] without '/' is looked up in env's PATH
  std::string directory;          // "" = supd's working directory
  std::vector<std::string> env;   // "K=V", final (BuildEnvironment); the child gets exactly this
  std::optional<uid_t> uid;       // set: drop to it (needs root, unless it is already ours)
  std::optional<gid_t> gid;       // primary group; defaults to uid's group only via the caller
  std::string user;               // with uid: supplementary groups of this user (initgroups)
  std::optional<mode_t> umask;
  conf::Limits limits;            // 0 = supd's original limit
  int stdin_fd = -1;              // -1: /dev/null (or inherited when !capture_output)
  bool capture_output = true;     // false: inherit supd's fds 1-2 unchanged (init mode)
  bool merge_stderr = false;      // fd 2 shares fd 1's pipe; SpawnedChild::stderr_read is empty
  std::vector<std::pair<int, int>> pass_fds;  // (fd in supd, fd number in the child)
  bool new_session = true;        // setsid; false: setpgid(0, 0) only (init mode)
  bool watchdog_pid = false;      // add WATCHDOG_PID=<child's pid>, known only after fork
  // The command-line program (`-c FILE -- CMD`): starts with the mask and ignored signals supd
  // inherited (OriginalLimits::signals, SPEC §9.6). Otherwise nothing blocked, nothing ignored.
  bool inherit_signals = false;
  // cgroup mode (SPEC §9.2): the instance's cgroup directory (O_PATH will do), which the child
  // is born in (clone3) or joins before anything else (through its cgroup.procs); -1: stay in
  // supd's cgroup. `cgroup` is the directory's path, for messages.
  int cgroup_fd = -1;
  std::string cgroup;
};

struct SpawnedChild {
  pid_t pid = -1;  // also its process group id (setsid / setpgid)
  // Read ends, O_NONBLOCK | O_CLOEXEC, ready for uv_pipe_open. Empty without capture_output
  // (both) or with merge_stderr (stderr_read).
  UniqueFd stdout_read;
  UniqueFd stderr_read;
  // The child's start time as /proc/<pid>/stat field 22 shows it (clock ticks since boot), or
  // 0 when it could not be told without reading that file (see StartTicksBracket).
  std::uint64_t start_ticks = 0;
  // With SpawnRequest::cgroup_fd: whether the child was born in that cgroup (clone3's
  // CLONE_INTO_CGROUP) rather than moved there before its exec.
  bool born_in_cgroup = false;
};

}  // namespace sup::daemon
