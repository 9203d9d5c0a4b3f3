#include "output/buffer_pool.h"

#include <algorithm>
#include <utility>

namespace sup::daemon::output {

std::string BufferPool::Take(std::size_t capacity) {
  std::string buffer;
  bool kept = false;
  {
    std::lock_guard lock(mu_);
    // The last one given back: the most recently touched, so its pages are the likeliest warm.
    if (!free_.empty()) {
      buffer = std::move(free_.back());
      free_.pop_back();
      kept = true;
    }
  }
  buffer.clear();
  // None kept and a small batch (a loaded machine reads a few KiB a turn, and then more
  // batches are in flight than the pool keeps): a buffer of the pool's size would be mapped,
  // faulted in and unmapped again for a few pages, and hold its whole size while queued.
  const bool small = !kept && capacity < buffer_size_ / kSmallDivisor;
  buffer.reserve(small ? capacity : std::max(capacity, buffer_size_));
  return buffer;
}

void BufferPool::Give(std::string buffer) {
  if (buffer.capacity() < buffer_size_ || buffer.capacity() > 2 * buffer_size_) return;  // freed
  buffer.clear();
  std::lock_guard lock(mu_);
  if (free_.size() < max_kept_) free_.push_back(std::move(buffer));
}

std::size_t BufferPool::kept() const {
  std::lock_guard lock(mu_);
  return free_.size();
}

std::size_t BufferPool::kept_bytes() const {
  std::lock_guard lock(mu_);
  std::size_t bytes = 0;
  for (const auto& b : free_) bytes += b.capacity();
  return bytes;
}

}  // namespace sup::daemon::output
