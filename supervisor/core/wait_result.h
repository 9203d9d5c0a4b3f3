// What a waiting request learns about each instance it waits on, as values. The Waiter
// decides; a WaitSink passes it on (a client's reply in control/, the reload's answer, the
// systemd notifier's READY=1). No wire format here.
#pragma once

#include <functional>
#include <string>

#include "lifecycle/state.h"

namespace sup::daemon {

struct WaitResult {
  enum class Outcome { kOk, kFailed, kTimeout };
  std::string name;     // the instance ("web:0")
  Outcome outcome = Outcome::kOk;
  State state = State::kStopped;  // the instance's state when it was decided
  std::string message;  // why, or a note ("already running")
  bool killed = false;  // its last stop needed SIGKILL
};

const char* OutcomeName(WaitResult::Outcome outcome);

// Where a Waiter's results go. Loop thread only.
class WaitSink {
 public:
  virtual ~WaitSink() = default;
  // One result per instance, as soon as it is known.
  virtual void OnResult(WaitResult result) = 0;
  // Every instance has its result (some may have timed out). Called once.
  virtual void OnDone() = 0;
  // False once nobody is left to tell (the client went away): the waiter then ends quietly.
  virtual bool open() const = 0;
  // Runs once if the listener goes away before OnDone; empty to unregister.
  virtual void OnCancel(std::function<void()> fn) = 0;
};

}  // namespace sup::daemon
