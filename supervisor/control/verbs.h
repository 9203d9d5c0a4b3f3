// The commands of the control protocol (SPEC §6) and which of them an unprivileged peer
// may use. One list, so the server and the docs cannot disagree.
#pragma once

#include <string_view>

namespace sup::daemon::control {

// Every command the protocol knows; anything else is unknown_command.
bool IsKnownCommand(std::string_view cmd);

// status, version, events, wait, pid, shm (top's query) and cancel: any peer that can connect.
bool IsReadOnlyCommand(std::string_view cmd);

}  // namespace sup::daemon::control
