#include "control/verbs.h"

#include <array>
#include <utility>

namespace sup::daemon::control {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs = {{
    {"status", Verb::kStatus},   {"version", Verb::kVersion}, {"events", Verb::kEvents},
    {"wait", Verb::kWait},       {"pid", Verb::kPid},         {"shm", Verb::kShm},
    {"cancel", Verb::kCancel},   {"start", Verb::kStart},     {"stop", Verb::kStop},
    {"restart", Verb::kRestart}, {"signal", Verb::kSignal},   {"logs", Verb::kLogs},
    {"reload", Verb::kReload},   {"shutdown", Verb::kShutdown},
}};

}  // namespace

std::optional<Verb> ParseVerb(std::string_view cmd) {
  for (const auto& [name, verb] : kVerbs) {
    if (name == cmd) return verb;
  }
  return std::nullopt;
}

bool IsReadOnly(Verb verb) { return verb <= Verb::kCancel; }

bool IsKnownCommand(std::string_view cmd) { return ParseVerb(cmd).has_value(); }

bool IsReadOnlyCommand(std::string_view cmd) {
  const auto verb = ParseVerb(cmd);
  return verb && IsReadOnly(*verb);
}

}  // namespace sup::daemon::control
