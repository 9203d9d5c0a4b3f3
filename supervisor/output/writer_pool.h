// The threads that write captured output. A SinkChannel serialises one LogSink's work (at
// most one writer thread runs a given sink at a time, in queue order); a WriterPool is a few
// threads serving the channels that have work, started as work needs them. A slow sink
// occupies one thread, not the pool. A sink that cannot take lines now (a full disk) occupies
// none: its channel keeps them, first in line, and is run again a second later.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "output/buffer_pool.h"
#include "output/log_sink.h"

namespace sup::daemon::output {

// What one producer (an instance) has queued on one channel. Shared by the producer and the
// queued chunks, so it outlives whichever goes first. `queued` is touched by both threads;
// `on_drained` is called on the writer thread when `queued` falls to `resume_at` or below
// while `wants_resume` is set (the producer paused and asked to be told); `on_loop` is what
// OutputHub then runs on the loop thread (loop thread only; cleared when the producer dies).
// `drop` and `dropped` are set before the first push: with `drop`, lines a sink cannot take
// are dropped and counted in *dropped instead of retried.
struct QueueBudget {
  std::atomic<std::size_t> queued{0};
  std::atomic<bool> wants_resume{false};
  std::size_t resume_at = 0;
  bool drop = false;
  std::shared_ptr<std::atomic<std::uint64_t>> dropped;
  std::function<void()> on_drained;  // set once before the first use; thread-safe to call
  std::function<void()> on_loop;
};

struct PoolState;  // writer_pool.cpp: the ready queue, shared with the threads

class SinkChannel : public std::enable_shared_from_this<SinkChannel> {
 public:
  // Use WriterPool::AddChannel().
  SinkChannel(std::shared_ptr<PoolState> pool, std::unique_ptr<LogSink> sink);

  // Queues whole '\n'-terminated lines; `budget` (may be null) is charged now and credited
  // once they are written. Any thread.
  void Push(std::string lines, std::shared_ptr<QueueBudget> budget);
  // An empty buffer for the next Push, with room for `capacity` bytes: one an earlier Push
  // handed over and the writer is done with, when there is one. Any thread.
  std::string TakeBuffer(std::size_t capacity);
  // Runs `fn` on the writer thread, after everything queued before it. Any thread.
  void Post(std::function<void(LogSink&)> fn);

  LogSink& sink() { return *sink_; }  // status() only, from other threads

  // Writer thread: writes what is queued. `done` items; `more` when more arrived meanwhile;
  // `retry` when the sink could not take the first item left: run again after kRetryDelay.
  struct Batch {
    std::size_t done = 0;
    bool more = false;
    bool retry = false;
  };
  static constexpr std::chrono::seconds kRetryDelay{1};  // as s6-log on a full disk
  Batch RunBatch();

 private:
  struct Item {
    std::string lines;
    std::shared_ptr<QueueBudget> budget;
    std::function<void(LogSink&)> fn;
    bool held = false;  // the rest of lines the sink could not take: being retried
  };
  void Enqueue(Item item);

  std::shared_ptr<PoolState> pool_;
  std::unique_ptr<LogSink> sink_;
  std::mutex mu_;
  std::deque<Item> items_;
  bool scheduled_ = false;  // in the pool's ready queue or being run
};

class WriterPool {
 public:
  // Up to `threads` threads, each started when a channel has work and no thread is free.
  explicit WriterPool(int threads);
  ~WriterPool();  // Stop(), then joins
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  // A channel served by this pool; it may outlive the pool (then pushes are discarded).
  std::shared_ptr<SinkChannel> AddChannel(std::unique_ptr<LogSink> sink);

  // Blocks until every item queued so far on this pool's channels is done, or `timeout`
  // passes; returns whether everything was written.
  bool Flush(std::chrono::milliseconds timeout);
  // Makes the threads exit once the queue is empty; threads still blocked in a write after
  // `timeout` are detached (each keeps the channel it runs alive). Idempotent.
  void Stop(std::chrono::milliseconds timeout);

  int threads_started() const;

 private:
  std::shared_ptr<PoolState> state_;  // shared with the threads so a detached one stays valid
};

}  // namespace sup::daemon::output
