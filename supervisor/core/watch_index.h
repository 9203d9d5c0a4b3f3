// Which waiting requests watch which instance (SPEC §9.1 "Connections": with 10 000 instances
// no request holds the loop). A state change of one instance re-evaluates only the waiter
// items that watch it, never every waiter × every instance.
//
// A watch is (waiter id, item index). The index never dereferences an instance: it is a key.
// Watches die in two ways: the owner drops them while visiting their instance (the item got
// its outcome), or their waiter goes away as a whole (timeout, client gone) — those are only
// counted (Released) and swept once they outnumber the live ones, so that ending a waiter
// costs O(1) per item, amortized. The sweep goes a few lists at a time (SweepSome), so that
// dropping thousands of waiters never holds the loop either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sup::daemon {

class Instance;

class WatchIndex {
 public:
  struct Watch {
    std::uint64_t waiter;
    std::uint32_t item;
    friend bool operator<(const Watch& a, const Watch& b) {
      return a.waiter != b.waiter ? a.waiter < b.waiter : a.item < b.item;
    }
    friend bool operator==(const Watch& a, const Watch& b) {
      return a.waiter == b.waiter && a.item == b.item;
    }
  };
  // Whether a watch still matters (its waiter exists and the item has no outcome yet).
  using Alive = std::function<bool(const Watch&)>;

  void Add(const Instance* instance, Watch watch);

  // The instance's state changed. Unwatched instances are not recorded: O(1) either way.
  void MarkChanged(const Instance* instance);
  // The watches of every instance marked since the last call, in (waiter, item) order —
  // the order in which a full re-evaluation would have met them. Clears the marks.
  std::vector<Watch> TakeChanged();

  // Drops the instance's watches that are no longer alive (all of them when `alive` is
  // null), and the instance itself once nothing watches it.
  void Prune(const Instance* instance, const Alive& alive);

  // `count` watches died without being pruned (their waiter ended). Once the dead ones
  // outnumber the live ones, a sweep of every list begins: sweeping() until SweepSome has
  // gone through them.
  void Released(std::size_t count);
  bool sweeping() const { return !sweep_.empty(); }
  // Prunes (with `alive`) up to `lists` of the lists the sweep has not visited yet.
  void SweepSome(const Alive& alive, std::size_t lists);

  std::size_t watches() const { return watches_; }  // held, live or dead
  std::size_t watched_instances() const { return by_instance_.size(); }
  bool empty() const { return by_instance_.empty(); }

 private:
  std::unordered_map<const Instance*, std::vector<Watch>> by_instance_;
  std::unordered_set<const Instance*> changed_set_;
  std::vector<const Instance*> changed_;
  std::size_t watches_ = 0;
  std::size_t dead_ = 0;
  std::vector<const Instance*> sweep_;  // the lists the sweep has still to visit
  std::size_t swept_dead_ = 0;          // dead_ when the sweep began
};

}  // namespace sup::daemon
