// The verbs of the control protocol (SPEC §6) and which of them an unprivileged peer may use.
// One table: the server checks names and permissions with it, and the request handler
// (core/request_handler.cpp) switches over Verb, so the compiler names any verb left out.
#pragma once

#include <optional>
#include <string_view>

namespace sup::daemon::control {

enum class Verb {
  // Read-only: any peer that can connect. `shm` is top's query.
  kStatus, kVersion, kEvents, kWait, kPid, kShm, kCancel,
  // Privileged.
  kStart, kStop, kRestart, kSignal, kLogs, kReload, kShutdown,
};

// The verb named `cmd`; nullopt for anything else (unknown_command).
std::optional<Verb> ParseVerb(std::string_view cmd);

bool IsReadOnly(Verb verb);

// Every command the protocol knows; anything else is unknown_command.
bool IsKnownCommand(std::string_view cmd);

// status, version, events, wait, pid, shm and cancel.
bool IsReadOnlyCommand(std::string_view cmd);

}  // namespace sup::daemon::control
