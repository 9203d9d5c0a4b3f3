// A request that waits on instances (a waiting start/stop/restart, `wait`, a reload, supd's
// own readiness): it reports one WaitResult per instance as soon as it is known, and ends when
// every instance has one or its deadline passes. Evaluated in full once when it is added;
// after that the Supervisor re-evaluates only the items whose instance changed (WatchIndex).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/wait_result.h"
#include "core/process_runner.h"
#include "lifecycle/wait_rule.h"

namespace sup::daemon {

class Instance;

class Waiter {
 public:
  // What an item says on success besides "ok" (a fixed text: items carry no strings, as
  // 256 waits on 10 000 instances hold 2.5 million of them).
  enum class Note : std::uint8_t { kNone, kAlreadyRunning, kAlreadyStopped };
  struct Item {
    // The handle of the instance: owned by the Supervisor, which calls ForgetItem before it
    // is destroyed (reload removed it). Its name is read from it when a result is reported.
    Instance* instance;
    Note note = Note::kNone;
    bool decided = false;
  };

  // timeout 0 = no limit; the deadline and the times reported run on `runner`'s clock.
  Waiter(ProcessRunner& runner, std::shared_ptr<WaitSink> sink, WaitTarget target,
         std::vector<Item> items, std::chrono::milliseconds timeout);

  ~Waiter();

  // Reports the results that are known now; returns true when the waiter is finished.
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
  // Runs when the waiter ends outside Evaluate (its timeout) or its listener goes away, so
  // that its owner can drop it; never from inside a call of the owner's.
  void set_on_end(std::function<void()> fn);

 private:
  void Report(Item& item, WaitResult::Outcome outcome, std::string message);
  void Decide(Item& item, TimePoint now);
  void TimeOut();

  std::shared_ptr<WaitSink> sink_;
  WaitTarget target_;
  std::vector<Item> items_;
  ProcessRunner& runner_;
  TimePoint started_;
  std::unique_ptr<DeadlineTimer> timer_;
  std::function<void()> on_end_;
  std::size_t undecided_ = 0;
  bool finished_ = false;
};

}  // namespace sup::daemon
