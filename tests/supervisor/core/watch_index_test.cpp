#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "core/watch_index.h"

using sup::daemon::Instance;
using sup::daemon::WatchIndex;
using Watch = WatchIndex::Watch;

namespace {

// The index never dereferences an instance: distinct addresses are enough.
const Instance* Key(int k) {
  static char keys[64];
  return reinterpret_cast<const Instance*>(&keys[k]);
}

// Which (waiter, item) pairs are still waiting: what the Supervisor answers from its waiters.
struct Pending {
  std::set<std::pair<std::uint64_t, std::uint32_t>> items;
  WatchIndex::Alive alive() const {
    return [this](const Watch& w) { return items.count({w.waiter, w.item}) != 0; };
  }
};

}  // namespace

TEST_CASE("a change hands over only the watches of the instances that changed") {
  WatchIndex index;
  for (std::uint32_t item = 0; item < 10; ++item) {
    index.Add(Key(item), {1, item});
    index.Add(Key(item), {2, item});
  }
  index.MarkChanged(Key(3));
  CHECK(index.TakeChanged() == std::vector<Watch>{{1, 3}, {2, 3}});
  CHECK(index.TakeChanged().empty());  // the marks were taken
}

TEST_CASE("watches come out in (waiter, item) order, each instance once however often marked") {
  WatchIndex index;
  index.Add(Key(5), {2, 0});
  index.Add(Key(1), {2, 1});
  index.Add(Key(1), {1, 7});
  index.Add(Key(5), {1, 2});
  index.MarkChanged(Key(5));
  index.MarkChanged(Key(1));
  index.MarkChanged(Key(5));
  CHECK(index.TakeChanged() == std::vector<Watch>{{1, 2}, {1, 7}, {2, 0}, {2, 1}});
}

TEST_CASE("an instance nobody watches is not recorded") {
  WatchIndex index;
  index.MarkChanged(Key(9));
  CHECK(index.TakeChanged().empty());
  CHECK(index.empty());
}

TEST_CASE("pruning drops what is decided and forgets an instance nobody watches any more") {
  WatchIndex index;
  Pending pending{{{1, 0}, {2, 0}}};
  index.Add(Key(0), {1, 0});
  index.Add(Key(0), {2, 0});
  pending.items.erase({1, 0});
  index.Prune(Key(0), pending.alive());
  CHECK(index.watches() == 1);
  index.MarkChanged(Key(0));
  CHECK(index.TakeChanged() == std::vector<Watch>{{2, 0}});
  index.Prune(Key(0), nullptr);  // the instance is going away
  CHECK(index.empty());
  CHECK(index.watches() == 0);
}

TEST_CASE("a pruned instance's pending mark goes with it") {
  WatchIndex index;
  index.Add(Key(0), {1, 0});
  index.MarkChanged(Key(0));
  index.Prune(Key(0), nullptr);
  index.Add(Key(0), {2, 0});  // a new instance at the same address
  CHECK(index.TakeChanged().empty());
}

TEST_CASE("released watches are swept only once they outnumber the live ones, a few lists at a time") {
  WatchIndex index;
  Pending pending;
  for (std::uint64_t waiter = 0; waiter < 4; ++waiter)
    for (std::uint32_t item = 0; item < 50; ++item) {
      index.Add(Key(static_cast<int>(item)), {waiter, item});
      pending.items.insert({waiter, item});
    }
  REQUIRE(index.watches() == 200);
  auto end_waiter = [&](std::uint64_t waiter) {
    for (std::uint32_t item = 0; item < 50; ++item) pending.items.erase({waiter, item});
    index.Released(50);
  };
  end_waiter(0);
  end_waiter(1);
  CHECK_FALSE(index.sweeping());  // half dead: not yet
  end_waiter(2);
  REQUIRE(index.sweeping());
  index.SweepSome(pending.alive(), 10);
  CHECK(index.sweeping());
  CHECK(index.watches() == 200 - 10 * 3);
  while (index.sweeping()) index.SweepSome(pending.alive(), 10);
  CHECK(index.watches() == 50);
  CHECK(index.watched_instances() == 50);
  index.MarkChanged(Key(7));
  CHECK(index.TakeChanged() == std::vector<Watch>{{3, 7}});
}

TEST_CASE("watches pruned before the sweep are not counted twice") {
  WatchIndex index;
  for (std::uint32_t item = 0; item < 100; ++item) index.Add(Key(item % 50), {1, item});
  index.Prune(Key(0), nullptr);
  index.Prune(Key(1), nullptr);
  index.Released(100);  // more than are held now
  REQUIRE(index.sweeping());
  while (index.sweeping()) index.SweepSome([](const Watch&) { return false; }, 7);
  CHECK(index.empty());
  CHECK_FALSE(index.sweeping());
  index.Add(Key(3), {2, 0});
  index.Released(0);
  CHECK_FALSE(index.sweeping());
}
