// Starts init mode's one child: fork, own process group, the terminal's foreground when
// supd's own group holds it, supd's inherited signal state, exec with PATH lookup; exec errors come back
// through a CLOEXEC pipe, so "cannot execute" is never mistaken for "exited with 127".
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "child/inherited_signals.h"
#include "sup/base/result.h"

namespace sup::daemon {

struct LaunchedChild {
  pid_t pid = -1;             // also its process group id
  bool has_terminal = false;  // fd 0 is a terminal whose foreground group is now the child's
};

// Whether fd 0 is supd's controlling terminal and supd's own process group its foreground
// (false for `supd -- cmd &` started in the background from a shell).
bool OwnGroupHasTerminal();

// Runs argv (argv[0] looked up in PATH) with fds 0-2 inherited unchanged and `signals`'
// mask and ignored set. The caller must have every signal blocked (the child sets the mask
// just before exec) and SIGCHLD not ignored. On failure the child has already been reaped and the Error carries the errno
// and "exec ARGV0" (or "fork"); Message() gives "exec nope: No such file or directory".
Result<LaunchedChild> LaunchChild(const std::vector<std::string>& argv, const InheritedSignals& signals);

}  // namespace sup::daemon
