#include "output/writer_pool.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <exception>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace sup::daemon::output {

struct PoolState : std::enable_shared_from_this<PoolState> {
  std::mutex mu;
  std::condition_variable work;  // a channel became ready, or stopping
  std::condition_variable idle;  // outstanding reached 0, or a thread exited
  std::deque<std::shared_ptr<SinkChannel>> ready;
  // Channels whose sink could not take their first item (a full disk), in order of `due`
  // (every delay is the same); no thread is busy with them meanwhile.
  struct Delayed {
    std::chrono::steady_clock::time_point due;
    std::shared_ptr<SinkChannel> channel;
  };
  std::deque<Delayed> delayed;
  // Items queued on any channel and not yet done. Counted up without `mu` (a push to a busy
  // writer takes no pool lock, so it never contends with, nor wakes, the writer) and down
  // under it, so that a Flush waiting on `idle` never misses the last one.
  std::atomic<std::size_t> outstanding{0};
  int max_threads = 0;
  std::vector<std::thread> threads;  // started so far, at most max_threads
  int alive = 0;    // started and not yet exited
  int running = 0;  // inside a channel's RunBatch: not free for another channel
  bool stopping = false;
  std::atomic<bool> accepting{true};
  std::atomic<bool> start_failed{false};  // the last attempt to start a thread failed: warned once
  // The batches' buffers, given back once written (SinkChannel::TakeBuffer).
  BufferPool buffers{BufferPool::kMaxKept, BufferPool::kBufferSize};

  // A thread is started only when a ready channel would otherwise find no free thread: a
  // pool nobody writes to has none, and one that writes a sink at a time has one, not
  // max_threads (each one more to wake and to kill at exit; as PID 1 that was ~0.07 ms of
  // SIGTERM -> exit).
  void Schedule(std::shared_ptr<SinkChannel> channel) {
    {
      std::lock_guard lock(mu);
      ready.push_back(std::move(channel));
      if (StartIfNeededLocked()) return;
    }
    work.notify_one();
  }
  // After a failed start, a channel already scheduled never calls Schedule again: its next
  // items retry here.
  void RetryStart() {
    std::lock_guard lock(mu);
    StartIfNeededLocked();
  }

 private:
  bool StartIfNeededLocked() noexcept {
    const auto free = static_cast<std::size_t>(alive - running);
    return !stopping && free < ready.size() && static_cast<int>(threads.size()) < max_threads &&
           StartThreadLocked();
  }
  bool StartThreadLocked() noexcept;
};

namespace {

void Credit(const std::shared_ptr<QueueBudget>& budget, std::size_t bytes) {
  if (!budget) return;
  // seq_cst pairs with the producer's "set wants_resume, then re-read queued": one of the
  // two sides always sees the other, so a resume is never missed.
  const std::size_t left = budget->queued.fetch_sub(bytes) - bytes;
  if (left <= budget->resume_at && budget->wants_resume.exchange(false) &&
      budget->on_drained) {
    budget->on_drained();
  }
}

// Waits for a ready channel; while some are delayed, wakes when the first is due and makes the
// due ones ready. Without delayed channels the wait has no timeout: an idle pool never wakes.
void WaitForWork(PoolState& state, std::unique_lock<std::mutex>& lock) {
  while (!state.stopping && state.ready.empty()) {
    if (state.delayed.empty()) {
      state.work.wait(lock);
      continue;
    }
    state.work.wait_until(lock, state.delayed.front().due);
    const auto now = std::chrono::steady_clock::now();
    while (!state.delayed.empty() && state.delayed.front().due <= now) {
      state.ready.push_back(std::move(state.delayed.front().channel));
      state.delayed.pop_front();
    }
  }
}

void RunThread(std::shared_ptr<PoolState> state) noexcept {
  std::unique_lock lock(state->mu);
  for (;;) {
    WaitForWork(*state, lock);
    if (state->stopping) break;
    std::shared_ptr<SinkChannel> channel = std::move(state->ready.front());
    state->ready.pop_front();
    ++state->running;
    lock.unlock();
    const SinkChannel::Batch batch = channel->RunBatch();
    lock.lock();
    // Free again before Flush can see the work done, so that the next line finds this thread
    // free rather than starting another.
    --state->running;
    if (state->outstanding.fetch_sub(batch.done) == batch.done) state->idle.notify_all();
    if (batch.retry) {
      state->delayed.push_back({std::chrono::steady_clock::now() + SinkChannel::kRetryDelay,
                                std::move(channel)});
    } else if (batch.more) {
      state->ready.push_back(std::move(channel));  // behind the others: fairness
    }
  }
  --state->alive;
  state->idle.notify_all();
}

}  // namespace

// False when the thread could not be created (RLIMIT_NPROC, memory): the channel then waits
// for a thread already started, and every item pushed to the pool tries again. supd keeps
// running; a program whose queue fills meanwhile is paused by back-pressure, and stays paused
// until another item to the pool finds a thread can be started.
bool PoolState::StartThreadLocked() noexcept {
  // Writer threads take no signals: they go to the loop thread, and a SIGPIPE raised by a
  // write to a closed pipe stays pending here instead of killing supd (EPIPE is returned).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  bool started = false;
  try {
    threads.emplace_back(RunThread, shared_from_this());
    ++alive;
    started = true;
  } catch (const std::exception& e) {  // std::system_error from the thread, bad_alloc
    if (!start_failed.load()) spdlog::warn("output: cannot start a writer thread: {}", e.what());
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  start_failed.store(!started);
  return started;
}

SinkChannel::SinkChannel(std::shared_ptr<PoolState> pool, std::unique_ptr<LogSink> sink)
    : pool_(std::move(pool)), sink_(std::move(sink)) {}

void SinkChannel::Push(std::string lines, std::shared_ptr<QueueBudget> budget) {
  if (lines.empty()) return;
  if (budget) budget->queued.fetch_add(lines.size(), std::memory_order_acq_rel);
  Enqueue(Item{std::move(lines), std::move(budget), nullptr});
}

std::string SinkChannel::TakeBuffer(std::size_t capacity) { return pool_->buffers.Take(capacity); }

void SinkChannel::Post(std::function<void(LogSink&)> fn) { Enqueue(Item{{}, nullptr, std::move(fn)}); }

void SinkChannel::Enqueue(Item item) {
  if (!pool_->accepting.load(std::memory_order_acquire)) {
    Credit(item.budget, item.lines.size());  // discarded: give the bytes back
    return;
  }
  pool_->outstanding.fetch_add(1, std::memory_order_relaxed);
  bool schedule = false;
  {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
    schedule = !scheduled_;
    scheduled_ = true;
  }
  if (schedule) {
    pool_->Schedule(shared_from_this());
  } else if (pool_->start_failed.load(std::memory_order_relaxed)) {
    pool_->RetryStart();
  }
}

SinkChannel::Batch SinkChannel::RunBatch() {
  std::deque<Item> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(items_);
  }
  std::size_t first = 0;  // items run ahead of held lines
  if (!batch.empty() && batch.front().held) {
    // Waiting for space: a reopen (USR1 after the operator moved or removed the file to free
    // space) or a reload's new limits must not wait behind the lines that wait for them.
    const auto fns = std::stable_partition(batch.begin(), batch.end(),
                                           [](const Item& i) { return i.fn != nullptr; });
    for (auto it = batch.begin(); it != fns; ++it) it->fn(*sink_);
    first = static_cast<std::size_t>(fns - batch.begin());
    batch.erase(batch.begin(), fns);
  }
  std::size_t done = 0;
  for (; done < batch.size(); ++done) {
    Item& item = batch[done];
    if (item.fn) {
      item.fn(*sink_);
      continue;
    }
    const std::size_t written = sink_->Write(item.lines);
    if (written < item.lines.size()) {
      if (item.budget && !item.budget->drop) {
        // Backpressure "block": nothing is lost. The rest stays first in line (its bytes
        // still charged, so the producer stays paused) and is tried again in a second.
        Credit(item.budget, written);
        item.lines.erase(0, written);
        item.held = true;
        break;
      }
      if (item.budget && item.budget->dropped) {
        const std::string_view rest = std::string_view(item.lines).substr(written);
        item.budget->dropped->fetch_add(std::count(rest.begin(), rest.end(), '\n'),
                                        std::memory_order_relaxed);
      }
    }
    Credit(item.budget, item.lines.size());
    pool_->buffers.Give(std::move(item.lines));
  }
  std::lock_guard lock(mu_);
  if (done < batch.size()) {
    items_.insert(items_.begin(), std::make_move_iterator(batch.begin() + done),
                  std::make_move_iterator(batch.end()));
    return {first + done, false, true};
  }
  if (!items_.empty()) return {first + done, true};
  scheduled_ = false;
  return {first + done, false};
}

WriterPool::WriterPool(int threads) : state_(std::make_shared<PoolState>()) {
  state_->max_threads = threads;
  state_->threads.reserve(static_cast<std::size_t>(threads));
}

int WriterPool::threads_started() const {
  std::lock_guard lock(state_->mu);
  return static_cast<int>(state_->threads.size());
}

WriterPool::~WriterPool() { Stop(std::chrono::milliseconds(5'000)); }

std::shared_ptr<SinkChannel> WriterPool::AddChannel(std::unique_ptr<LogSink> sink) {
  return std::make_shared<SinkChannel>(state_, std::move(sink));
}

bool WriterPool::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mu);
  return state_->idle.wait_for(lock, timeout, [&] { return state_->outstanding == 0; });
}

void WriterPool::Stop(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Flush(timeout);
  state_->accepting.store(false, std::memory_order_release);
  std::vector<std::thread> threads;
  // Channels still queued (a full disk held their lines past the flush): each holds the pool's
  // state, which holds them, so they are let go here or that cycle outlives the pool. Released
  // outside the lock, since a channel's destructor may take it.
  std::deque<std::shared_ptr<SinkChannel>> ready;
  std::deque<PoolState::Delayed> delayed;
  bool all_exited;
  {
    std::unique_lock lock(state_->mu);
    state_->stopping = true;  // from now on no thread is started
    state_->work.notify_all();
    all_exited = state_->idle.wait_until(lock, deadline, [&] { return state_->alive == 0; });
    threads.swap(state_->threads);
    if (all_exited) {
      ready.swap(state_->ready);
      delayed.swap(state_->delayed);
    }
  }
  for (auto& t : threads) {
    if (all_exited) t.join();
    else t.detach();  // blocked in a write that may never return; it holds its own state
  }
}

}  // namespace sup::daemon::output
