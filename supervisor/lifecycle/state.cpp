// Names and human text for the lifecycle vocabulary (state.h).
#include "lifecycle/state.h"

#include <string.h>  // sigabbrev_np (glibc >= 2.32)

#include <cstdio>

#include "status/state_names.h"
#include "sup/status_shm.h"

namespace sup::daemon {

// State and Health are numbered as the status segment's enums, whose words are the table.
static_assert(static_cast<int>(State::kStopped) == SUP_STATE_STOPPED &&
              static_cast<int>(State::kStarting) == SUP_STATE_STARTING &&
              static_cast<int>(State::kRunning) == SUP_STATE_RUNNING &&
              static_cast<int>(State::kBackoff) == SUP_STATE_BACKOFF &&
              static_cast<int>(State::kStopping) == SUP_STATE_STOPPING &&
              static_cast<int>(State::kExited) == SUP_STATE_EXITED &&
              static_cast<int>(State::kFatal) == SUP_STATE_FATAL);
static_assert(static_cast<int>(Health::kUnknown) == SUP_HEALTH_UNKNOWN &&
              static_cast<int>(Health::kHealthy) == SUP_HEALTH_HEALTHY &&
              static_cast<int>(Health::kUnhealthy) == SUP_HEALTH_UNHEALTHY);

const char* StateName(State state) { return StateName(static_cast<std::uint32_t>(state)); }

const char* HealthName(Health health) { return HealthName(static_cast<std::uint32_t>(health)); }

namespace {

std::string SignalName(int signal) {
  if (const char* abbrev = sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal);
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (!by_signal()) return "exited with code " + std::to_string(code);
  std::string text = "killed by " + SignalName(signal);
  if (core_dumped) text += " (core dumped)";
  return text;
}

std::string ExitStatus::Brief() const {
  return by_signal() ? "signal " + SignalName(signal) : "exit " + std::to_string(code);
}

std::string FormatDuration(Clock::duration d) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  // Round to the nearest millisecond: jittered delays are fractional.
  long long ms = (duration_cast<microseconds>(d).count() + 500) / 1000;
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + "ms";
  const long long minutes = ms / 60'000;
  const long long rest_ms = ms % 60'000;
  std::string text = minutes > 0 ? std::to_string(minutes) + "m" : "";
  if (rest_ms == 0) return text;
  if (rest_ms % 1000 == 0) return text + std::to_string(rest_ms / 1000) + "s";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(rest_ms) / 1000.0);
  std::string s = seconds;
  while (s.back() == '0') s.pop_back();  // "1.500" -> "1.5"; rest_ms % 1000 != 0 keeps a digit
  return text + s + "s";
}

}  // namespace sup::daemon
