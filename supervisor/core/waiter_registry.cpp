#include "core/waiter_registry.h"

namespace sup::daemon {
namespace {

// Work done per loop iteration when dropping ended waiters and their watches.
constexpr auto kWaiterSweepSlice = std::chrono::milliseconds(4);

}  // namespace

void WaiterRegistry::Add(std::unique_ptr<Waiter> waiter) {
  if (waiter->Evaluate(runner_.Now())) return;
  const std::uint64_t id = next_id_++;
  Entry entry;
  const auto& items = waiter->items();
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (!waiter->pending(k)) continue;
    watches_.Add(items[k].instance, {id, static_cast<std::uint32_t>(k)});
    ++entry.watches;
  }
  waiter->set_on_end([this, id] { Ended(id); });
  entry.waiter = std::move(waiter);
  waiters_.emplace(id, std::move(entry));
}

bool WaiterRegistry::KeepWatch(const WatchIndex::Watch& watch) {
  auto it = waiters_.find(watch.waiter);
  if (it == waiters_.end()) return false;  // already released with its waiter
  if (it->second.waiter->pending(watch.item)) return true;
  --it->second.watches;
  return false;
}

void WaiterRegistry::EvaluateChanged() {
  const std::vector<WatchIndex::Watch> touched = watches_.TakeChanged();
  if (touched.empty()) return;
  const TimePoint now = runner_.Now();
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
    if (it != waiters_.end() && it->second.waiter->finished()) Drop(watch.waiter);
  }
  for (const Instance* instance : instances) watches_.Prune(instance, keep);
}

void WaiterRegistry::Drop(std::uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  const std::size_t watches = it->second.watches;
  waiters_.erase(it);
  watches_.Released(watches);
  if (watches_.sweeping()) ScheduleSweep();
}

void WaiterRegistry::Ended(std::uint64_t id) {
  // Called from inside the waiter (its timer) or its connection (a cancel hook): dropped
  // once those have returned.
  ended_.push_back(id);
  ScheduleSweep();
}

void WaiterRegistry::ScheduleSweep() {
  if (!sweep_timer_) sweep_timer_ = runner_.NewTimer();
  if (!sweep_timer_->active()) sweep_timer_->Start(std::chrono::milliseconds(0), [this] { Sweep(); });
}

void WaiterRegistry::Sweep() {
  // Bounded work per loop iteration: a client that leaves with 256 waits on 10 000
  // instances leaves millions of watches behind.
  // A budget of real work, so the real clock, not the runner's (which a test may hold still).
  const TimePoint until = Clock::now() + kWaiterSweepSlice;
  while (!ended_.empty() && Clock::now() < until) {
    const std::uint64_t id = ended_.back();
    ended_.pop_back();
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    // A client that went away leaves an unfinished waiter: nobody is left to tell.
    if (it->second.waiter->CheckDone()) Drop(id);
  }
  const auto keep = [this](const WatchIndex::Watch& w) { return KeepWatch(w); };
  while (watches_.sweeping() && Clock::now() < until) watches_.SweepSome(keep, 64);
  if (!ended_.empty() || watches_.sweeping()) ScheduleSweep();
}

void WaiterRegistry::ForgetInstance(const Instance& instance) {
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
  for (const std::uint64_t id : finished) Drop(id);
}

}  // namespace sup::daemon
