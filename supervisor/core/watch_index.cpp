#include "core/watch_index.h"

#include <algorithm>

namespace sup::daemon {

void WatchIndex::Add(const Instance* instance, Watch watch) {
  by_instance_[instance].push_back(watch);
  ++watches_;
}

void WatchIndex::MarkChanged(const Instance* instance) {
  if (by_instance_.count(instance) == 0) return;
  if (changed_set_.insert(instance).second) changed_.push_back(instance);
}

std::vector<WatchIndex::Watch> WatchIndex::TakeChanged() {
  std::vector<Watch> out;
  for (const Instance* instance : changed_) {
    auto it = by_instance_.find(instance);
    if (it != by_instance_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  changed_.clear();
  changed_set_.clear();
  std::sort(out.begin(), out.end());
  return out;
}

void WatchIndex::Prune(const Instance* instance, const Alive& alive) {
  auto it = by_instance_.find(instance);
  if (it == by_instance_.end()) return;
  auto& list = it->second;
  const std::size_t before = list.size();
  if (alive) {
    std::erase_if(list, [&](const Watch& w) { return !alive(w); });
  } else {
    list.clear();
  }
  watches_ -= before - list.size();
  if (list.empty()) {
    by_instance_.erase(it);
    if (changed_set_.erase(instance) != 0) std::erase(changed_, instance);
  }
}

void WatchIndex::Released(std::size_t count) {
  dead_ += count;
  // Dead ones may already have been pruned with their instance: never more than are held.
  dead_ = std::min(dead_, watches_);
  if (sweeping() || dead_ * 2 <= watches_ || dead_ < 64) return;
  sweep_.reserve(by_instance_.size());
  for (const auto& [instance, list] : by_instance_) sweep_.push_back(instance);
  swept_dead_ = dead_;
}

void WatchIndex::SweepSome(const Alive& alive, std::size_t lists) {
  // A list dropped meanwhile is simply not found; one added meanwhile waits for next time.
  for (; lists > 0 && !sweep_.empty(); --lists) {
    Prune(sweep_.back(), alive);
    sweep_.pop_back();
  }
  if (sweep_.empty()) {
    dead_ -= std::min(dead_, swept_dead_);
    sweep_.shrink_to_fit();
  }
}

}  // namespace sup::daemon
