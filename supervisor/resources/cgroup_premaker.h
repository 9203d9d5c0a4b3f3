// Makes the cgroup directories of the instances supd is about to start, on a thread of its
// own, ahead of the loop's spawns (SPEC §9.2). A cgroup's mkdir costs ~45 us (the kernel makes
// a dozen interface files), a third of a spawn: made on the loop, 200 programs started 25 ms
// later than with process groups alone. Here the mkdirs run while the loop waits on its
// children's execs (a CLONE_VFORK spawn sleeps until the child has exec'd), and the loop's own
// mkdir of an instance finds the directory made (EEXIST) or, when it got there first, makes it
// itself (the thread then finds it made). Nothing waits for the thread but its join at the end.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sup::daemon::resources {

class CgroupPremaker {
 public:
  // Below this many instances a thread costs more than it saves: the loop makes them.
  static constexpr std::size_t kMinInstances = 8;

  CgroupPremaker() = default;
  ~CgroupPremaker();  // stops making and joins; Sweep() is the caller's
  CgroupPremaker(const CgroupPremaker&) = delete;
  CgroupPremaker& operator=(const CgroupPremaker&) = delete;

  // Starts making `names` (in order) under the directory `base_fd`, which must stay open until
  // Stop(). Does nothing for fewer than kMinInstances names or if already started.
  void Start(int base_fd, std::vector<std::string> names);
  // Whether the thread made `name` (so the directory is fresh: limits at their defaults); the
  // caller then owns its removal. True once per name.
  bool Claim(const std::string& name);
  // Stops and joins the thread, then removes the directories it made that nobody claimed
  // (instances that never started); those that hold processes stay.
  void Finish();

 private:
  void Run(int base_fd, std::vector<std::string> names);

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::set<std::string> made_;  // made by the thread, not yet claimed
  int base_fd_ = -1;
};

}  // namespace sup::daemon::resources
