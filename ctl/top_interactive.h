// The interactive `supctl top` on a terminal (SPEC §9.3): see top_interactive.cpp.
#pragma once

#include <string>

namespace sup::ctl {

// Runs until q, Ctrl-C, SIGTERM/SIGINT/SIGHUP, or until segment `shm_name` can no longer be
// read (supd gone: exit 4). `socket` serves the actions and the log view. Falls back to one
// snapshot when fds 0 and 1 are not both a terminal. The terminal is restored on every exit.
int RunInteractiveTop(const std::string& shm_name, const std::string& socket, bool colour);

}  // namespace sup::ctl
