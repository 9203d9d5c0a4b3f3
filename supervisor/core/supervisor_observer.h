// What the Supervisor tells whoever watches it — the `events` stream, `logs -f` followers, the
// systemd notifier — as typed values. Nothing here is a wire format: each observer renders what
// it needs at its edge (control/ for the socket, systemd/ for supd's manager). Loop thread
// only; observers are told synchronously and must not call back into the Supervisor.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lifecycle/exit_history.h"
#include "lifecycle/state.h"
#include "output/log_sink.h"
#include "sup/conf/diff.h"

namespace sup::daemon {

class Instance;

// One transition of one instance (SPEC §6 `events`). Valid only during the notification.
struct InstanceEvent {
  std::chrono::system_clock::time_point time;
  const Instance& instance;
  State from;
  State to;
  const std::string& reason;
  const ExitRecord* exit;  // the exit this transition follows from; null when none
};

class SupervisorObserver {
 public:
  virtual ~SupervisorObserver() = default;

  virtual void OnInstanceEvent(const InstanceEvent& /*event*/) {}
  // A reload was applied (after its instances were started or retired).
  virtual void OnReloadApplied(const conf::ReloadPlan& /*plan*/) {}
  // A graceful shutdown began, whatever began it.
  virtual void OnShutdownBegan(const std::string& /*reason*/) {}

  // Whether the observer wants `instance`'s captured lines (asked once per read, before
  // OnOutputLine, so that nobody pays for lines nobody follows).
  virtual bool FollowsOutput(const std::string& /*instance*/) const { return false; }
  virtual void OnOutputLine(const std::string& /*instance*/, output::Stream /*stream*/,
                            std::chrono::system_clock::time_point /*time*/,
                            std::string_view /*line*/) {}
};

}  // namespace sup::daemon
