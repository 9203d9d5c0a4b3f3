// SlotNumbers: which status segment slot each instance writes. Slots are handed out in order
// and a slot that a reload freed is reused first, so the segment grows only with the number
// of instances alive at once, not with every instance ever made.
#pragma once

#include <cstdint>
#include <vector>

namespace sup::daemon {

class SlotNumbers {
 public:
  std::uint32_t Take() {
    if (free_.empty()) return next_++;
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  // The instance of `slot` is gone (its slot was cleared).
  void Release(std::uint32_t slot) { free_.push_back(slot); }

 private:
  std::uint32_t next_ = 0;
  std::vector<std::uint32_t> free_;
};

}  // namespace sup::daemon
