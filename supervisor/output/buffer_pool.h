// BufferPool: the buffers that carry captured lines from the loop thread to a writer thread,
// kept for the next batch once written instead of freed. A program writing flat out fills a
// batch of ~256 KiB per read; allocating each one fresh took an mmap (every page faulted in and
// zeroed again) and the writer's free an munmap (a TLB shoot-down across the loop's CPU): 405 +
// 402 of them for 500 MB (issue 23). Thread-safe: the loop takes, the writers give back.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace sup::daemon::output {

class BufferPool {
 public:
  // Every buffer has room for at least `buffer_size` bytes, so that one serves any batch of a
  // read and sizes never churn (a kept buffer too small for the next read would be reallocated,
  // fresh pages again). Keeps at most `max_kept`; a buffer grown past twice `buffer_size` by a
  // burst of long decorated lines is freed, so the pool's memory stays bounded.
  BufferPool(std::size_t max_kept, std::size_t buffer_size)
      : max_kept_(max_kept), buffer_size_(buffer_size) {}

  // An empty buffer with room for at least max(`capacity`, buffer_size) bytes: a kept one when
  // there is one. With none kept, a `capacity` under a quarter of buffer_size gets a buffer of
  // just that size (the heap's, not freshly mapped pages), which Give() then frees.
  std::string Take(std::size_t capacity);
  // A buffer done with (its bytes written): kept for a later Take() when there is room.
  void Give(std::string buffer);

  std::size_t kept() const;
  std::size_t kept_bytes() const;

  // The defaults of a writer pool: a batch is at most one 256 KiB read plus a little; a
  // producer's 1 MiB queue holds from four such batches to a dozen smaller ones (a loaded
  // machine reads less per turn). Only the pages a batch touched are resident: a buffer that
  // carried single lines costs a page or two. Worst case kept: 16 × 520 KiB.
  static constexpr std::size_t kMaxKept = 16;
  static constexpr std::size_t kBufferSize = 260 * 1024;
  static constexpr std::size_t kSmallDivisor = 4;

 private:
  const std::size_t max_kept_;
  const std::size_t buffer_size_;
  mutable std::mutex mu_;
  std::vector<std::string> free_;
};

}  // namespace sup::daemon::output
