#include "control/verbs.h"

#include <array>

namespace sup::daemon::control {
namespace {

constexpr std::array<std::string_view, 7> kReadOnly = {"status", "version", "events", "wait",
                                                       "pid",    "shm",     "cancel"};
constexpr std::array<std::string_view, 7> kPrivileged = {"start",  "stop",   "restart", "signal",
                                                         "logs",   "reload", "shutdown"};

}  // namespace

bool IsReadOnlyCommand(std::string_view cmd) {
  for (auto c : kReadOnly) {
    if (c == cmd) return true;
  }
  return false;
}

bool IsKnownCommand(std::string_view cmd) {
  if (IsReadOnlyCommand(cmd)) return true;
  for (auto c : kPrivileged) {
    if (c == cmd) return true;
  }
  return false;
}

}  // namespace sup::daemon::control
