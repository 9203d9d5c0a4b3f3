// Daemon: supd's normal mode. Owns the libuv loop and everything that hangs off it (reaper,
// spawner, control server, signal watchers, Supervisor) and sequences start-up and the end
// of a graceful shutdown. RunDaemon() is what main() calls; it returns supd's exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process/spawner.h"
#include "sup/conf/config.h"

namespace sup::daemon {

struct DaemonOptions {
  conf::Environment env;                            // supd's environment at start-up
  std::optional<std::vector<std::string>> main_command;  // `supd -c FILE -- CMD`
  OriginalLimits original_limits;  // captured before supd raised its own: what programs get
};

// Runs until a graceful shutdown completes. Exit codes per SPEC §7: 2 start-up failure
// (socket in use, status segment in use, …), 3 on_fatal, 1 something SIGKILLed, else 0;
// with a main command, its status.
int RunDaemon(conf::Config config, DaemonOptions options);

}  // namespace sup::daemon
