// A request that waits on instances (a waiting start/stop/restart, `wait`): it streams one
// outcome per instance as soon as it is known, and ends when every instance has one or
// its deadline passes. Re-evaluated by the Supervisor after every state change.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "control/call.h"
#include "lifecycle/wait_rule.h"
#include "loop/timer.h"

namespace sup::daemon {

class Instance;

class Waiter {
 public:
  struct Item {
    Instance* instance;      // owned by the Supervisor; Forget() before it is destroyed
    std::string name;
    std::string note;        // an extra message for success ("already running")
    bool decided = false;
  };

  // timeout 0 = no limit. `on_done` runs once when the waiter has nothing left to wait for
  // (the Supervisor then drops it).
  Waiter(uv_loop_t& loop, std::shared_ptr<control::Call> call, WaitTarget target,
         std::vector<Item> items, std::chrono::milliseconds timeout, std::string warning);

  // Emits the outcomes that are known now; returns true when the waiter is finished.
  bool Evaluate(TimePoint now);
  // The instance is going away (reload removed it): count it as stopped or failed.
  void Forget(const Instance* instance);
  bool finished() const { return finished_; }
  void set_on_timeout(std::function<void()> fn) { on_timeout_ = std::move(fn); }

 private:
  void Emit(Item& item, const char* outcome, const std::string& message);
  void TimeOut();

  std::shared_ptr<control::Call> call_;
  WaitTarget target_;
  std::vector<Item> items_;
  std::string warning_;
  TimePoint started_;
  Timer timer_;
  std::function<void()> on_timeout_;
  bool finished_ = false;
};

}  // namespace sup::daemon
