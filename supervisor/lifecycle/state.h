// Vocabulary of one instance's lifecycle (SPEC §4): its states, health, how its main
// process ended, and the human text supd shows for them. Pure values, no behaviour.
#pragma once

#include <chrono>
#include <string>

namespace sup::daemon {

// supd measures every duration on the monotonic clock; the FSM never reads it itself.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class State { kStopped, kStarting, kRunning, kBackoff, kStopping, kExited, kFatal };
enum class Health { kUnknown, kHealthy, kUnhealthy };

const char* StateName(State state);     // "STOPPED", "STARTING", ...
const char* HealthName(Health health);  // "unknown", "healthy", "unhealthy"

// How a main process ended, as waitpid reported it.
struct ExitStatus {
  int code = 0;    // exit code; meaningful when signal == 0
  int signal = 0;  // > 0: killed by this signal
  bool core_dumped = false;

  static ExitStatus Code(int code) { return ExitStatus{code, 0, false}; }
  static ExitStatus Signal(int signal, bool core_dumped = false) {
    return ExitStatus{0, signal, core_dumped};
  }
  bool by_signal() const { return signal > 0; }
  bool operator==(const ExitStatus&) const = default;

  // "exited with code 1", "killed by SIGKILL", "killed by SIGSEGV (core dumped)".
  std::string Describe() const;
  // "exit 3", "signal SIGKILL": the short form used in dependency failure reasons.
  std::string Brief() const;
};

// "250ms", "10s", "1.5s", "2m", "1m30s": how durations appear in reasons and wait text.
std::string FormatDuration(Clock::duration d);

}  // namespace sup::daemon
