// A request that waits on instances (a waiting start/stop/restart, `wait`): it streams one
// outcome per instance as soon as it is known, and ends when every instance has one or
// its deadline passes. Evaluated in full once when it is added; after that the Supervisor
// re-evaluates only the items whose instance changed (WatchIndex).
#pragma once

#include <chrono>
#include <functional>
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

  ~Waiter();

  // Emits the outcomes that are known now; returns true when the waiter is finished.
  bool Evaluate(TimePoint now);
  // The same for one item (its instance changed).
  bool EvaluateItem(std::size_t item, TimePoint now);
  // The item's instance is going away (reload removed it): count it as stopped or failed.
  void ForgetItem(std::size_t item);
  bool finished() const { return finished_; }
  // Finishes when nothing is left to wait for, or nobody is there to tell; returns finished().
  bool CheckDone();
  // Whether the item still waits for its outcome (false once the waiter finished).
  bool pending(std::size_t item) const { return !finished_ && !items_[item].decided; }
  const std::vector<Item>& items() const { return items_; }
  // Runs when the waiter ends outside Evaluate (its timeout) or its client goes away, so
  // that its owner can drop it; never from inside a call of the owner's.
  void set_on_end(std::function<void()> fn);

 private:
  void Emit(Item& item, const char* outcome, const std::string& message);
  void Decide(Item& item, TimePoint now);
  void TimeOut();

  std::shared_ptr<control::Call> call_;
  WaitTarget target_;
  std::vector<Item> items_;
  std::string warning_;
  TimePoint started_;
  Timer timer_;
  std::function<void()> on_end_;
  std::size_t undecided_ = 0;
  bool finished_ = false;
};

}  // namespace sup::daemon
