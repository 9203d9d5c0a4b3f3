// The reply lines queued for one connection (SPEC §9.1 Connections). Lines are packed into
// chunks of up to 64 KiB, so a stream of small lines costs one allocation per chunk instead
// of one write request per line; what is counted is the memory really held (each chunk's
// capacity plus its bookkeeping), not the bytes of the lines. Every byte held is also counted
// in an OutputBudget shared by all connections of a server. Pure logic: the Connection does
// the writing. Loop thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace sup::daemon::control {

// What all connections together hold. Shared with the write requests in flight, which may
// finish after their connection (and even the server) is gone.
class OutputBudget {
 public:
  // Returns the heap's free pages to the system (malloc_trim) each time this much was freed
  // since the last peak: without it, glibc keeps a dropped client's chunks as free heap
  // inside the process, and supd's RSS never comes back down.
  static constexpr std::size_t kTrimAfter = 8u << 20;

  void Add(std::size_t bytes);
  void Sub(std::size_t bytes);
  std::size_t held() const { return held_; }

 private:
  std::size_t held_ = 0;
  std::size_t peak_ = 0;  // highest held_ since the last trim
};

struct OutputChunk {
  std::string data;
  bool stream = false;  // holds a line of a stream (not only replies)
};

// Chunks taken out of the queue for one write; their memory stays counted in the budget
// until this is destroyed (libuv is done with them).
class OutputBatch {
 public:
  OutputBatch(std::vector<OutputChunk> chunks, std::size_t held, std::size_t stream_held,
              std::shared_ptr<OutputBudget> budget);
  OutputBatch(const OutputBatch&) = delete;
  OutputBatch& operator=(const OutputBatch&) = delete;
  ~OutputBatch();

  std::vector<OutputChunk>& chunks() { return chunks_; }
  std::size_t held() const { return held_; }
  std::size_t stream_held() const { return stream_held_; }

 private:
  std::vector<OutputChunk> chunks_;
  std::size_t held_;
  std::size_t stream_held_;
  std::shared_ptr<OutputBudget> budget_;
};

class OutputQueue {
 public:
  static constexpr std::size_t kChunkBytes = 64 * 1024;
  // A chunk's share of the bookkeeping: its slot in the deque (or batch vector) and the
  // allocator's header of its buffer.
  static constexpr std::size_t kChunkOverhead = sizeof(OutputChunk) + 32;
  // Chunks per write: libuv keeps up to 4 buffers inside the write request, more would cost
  // another allocation.
  static constexpr std::size_t kMaxBatch = 4;

  explicit OutputQueue(std::shared_ptr<OutputBudget> budget);
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;
  ~OutputQueue();

  // Queues one line ('\n' included). `reply`: it answers a request now, rather than being a
  // line of a stream that goes on by itself.
  void Append(std::string line, bool reply);

  // The next chunks to write, or nullptr when nothing is queued or a batch is out already.
  std::unique_ptr<OutputBatch> Take();
  // The batch from Take() was written (or failed): it is no longer this queue's.
  void Returned(const OutputBatch& batch);

  // Drops what is queued (the connection closed); a batch in flight stays counted until
  // libuv lets go of it.
  void Clear();

  bool empty() const { return chunks_.empty() && !in_flight_; }
  // Memory held for this connection, queued and being written.
  std::size_t held() const { return held_; }
  // The part of held() in chunks that hold stream lines. A chunk that mixes replies and
  // stream lines counts whole: replies are few while output piles up (reading stops).
  std::size_t stream_held() const { return stream_held_; }

 private:
  static std::size_t ChunkHeld(const OutputChunk& c) { return c.data.capacity() + kChunkOverhead; }
  void Grow(std::size_t bytes, bool stream);

  std::shared_ptr<OutputBudget> budget_;
  std::deque<OutputChunk> chunks_;
  std::size_t held_ = 0;         // chunks_ and the batch in flight
  std::size_t queued_held_ = 0;  // chunks_ only
  std::size_t stream_held_ = 0;  // chunks_ and the batch in flight
  bool in_flight_ = false;
};

}  // namespace sup::daemon::control
