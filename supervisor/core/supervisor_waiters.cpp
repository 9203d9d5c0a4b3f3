// Supervisor's waiting requests (start/stop/restart --wait, `wait`, reload, the systemd
// notifier): each is evaluated in full once when added, then only for the instances that
// changed (WatchIndex), so that a state change costs what it touches, not waiters ×
// instances (SPEC §9.1 "Connections").
#include <spdlog/spdlog.h>

#include "core/supervisor.h"

namespace sup::daemon {
namespace {

// Work done per loop iteration when dropping ended waiters and their watches.
constexpr auto kWaiterSweepSlice = std::chrono::milliseconds(4);

}  // namespace

void Supervisor::AddWaiter(std::unique_ptr<Waiter> waiter) {
  if (waiter->Evaluate(Clock::now())) return;
  const std::uint64_t id = next_waiter_++;
  WaiterEntry entry;
  const auto& items = waiter->items();
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (!waiter->pending(k)) continue;
    watches_.Add(items[k].instance, {id, static_cast<std::uint32_t>(k)});
    ++entry.watches;
  }
  waiter->set_on_end([this, id] { WaiterEnded(id); });
  entry.waiter = std::move(waiter);
  waiters_.emplace(id, std::move(entry));
}

bool Supervisor::KeepWatch(const WatchIndex::Watch& watch) {
  auto it = waiters_.find(watch.waiter);
  if (it == waiters_.end()) return false;  // already released with its waiter
  if (it->second.waiter->pending(watch.item)) return true;
  --it->second.watches;
  return false;
}

void Supervisor::EvaluateWaiters() {
  const std::vector<WatchIndex::Watch> touched = watches_.TakeChanged();
  if (touched.empty()) return;
  const TimePoint now = Clock::now();
  std::vector<const Instance*> instances;
  for (const auto& watch : touched) {
    auto it = waiters_.find(watch.waiter);
    if (it == waiters_.end()) continue;
    Waiter& waiter = *it->second.waiter;
    if (waiter.finished()) continue;
    waiter.EvaluateItem(watch.item, now);
    instances.push_back(waiter.items()[watch.item].instance);
  }
  // What was decided leaves its instance's list; finished waiters leave the map.
  const auto keep = [this](const WatchIndex::Watch& w) { return KeepWatch(w); };
  std::uint64_t last = UINT64_MAX;
  for (const auto& watch : touched) {
    if (watch.waiter == last) continue;
    last = watch.waiter;
    auto it = waiters_.find(watch.waiter);
    if (it != waiters_.end() && it->second.waiter->finished()) DropWaiter(watch.waiter);
  }
  for (const Instance* instance : instances) watches_.Prune(instance, keep);
}

void Supervisor::DropWaiter(std::uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  const std::size_t watches = it->second.watches;
  waiters_.erase(it);
  watches_.Released(watches);
  if (watches_.sweeping()) ScheduleWaiterSweep();
}

void Supervisor::WaiterEnded(std::uint64_t id) {
  // Called from inside the waiter (its timer) or its connection (a cancel hook): dropped
  // once those have returned.
  ended_waiters_.push_back(id);
  ScheduleWaiterSweep();
}

void Supervisor::ScheduleWaiterSweep() {
  if (!waiter_sweep_timer_) waiter_sweep_timer_ = runner().NewTimer();
  if (!waiter_sweep_timer_->active())
    waiter_sweep_timer_->Start(std::chrono::milliseconds(0), [this] { SweepWaiters(); });
}

void Supervisor::SweepWaiters() {
  // Bounded work per loop iteration: a client that leaves with 256 waits on 10 000
  // instances leaves millions of watches behind.
  const TimePoint until = Clock::now() + kWaiterSweepSlice;
  while (!ended_waiters_.empty() && Clock::now() < until) {
    const std::uint64_t id = ended_waiters_.back();
    ended_waiters_.pop_back();
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    // A client that went away leaves an unfinished waiter: nobody is left to tell.
    if (it->second.waiter->CheckDone()) DropWaiter(id);
  }
  const auto keep = [this](const WatchIndex::Watch& w) { return KeepWatch(w); };
  while (watches_.sweeping() && Clock::now() < until) watches_.SweepSome(keep, 64);
  if (!ended_waiters_.empty() || watches_.sweeping()) ScheduleWaiterSweep();
}

void Supervisor::ForgetInstance(Instance& instance) {
  std::vector<std::uint64_t> finished;
  watches_.Prune(&instance, [&](const WatchIndex::Watch& w) {
    auto it = waiters_.find(w.waiter);
    if (it == waiters_.end()) return false;
    Waiter& waiter = *it->second.waiter;
    waiter.ForgetItem(w.item);
    --it->second.watches;
    if (waiter.finished()) finished.push_back(w.waiter);
    return false;  // the instance is going away: none of its watches stays
  });
  for (const std::uint64_t id : finished) DropWaiter(id);
}

}  // namespace sup::daemon
