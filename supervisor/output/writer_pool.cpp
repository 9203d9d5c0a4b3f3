#include "output/writer_pool.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
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
  std::size_t outstanding = 0;  // items queued on any channel and not yet done
  int max_threads = 0;
  std::vector<std::thread> threads;  // started so far, at most max_threads
  int alive = 0;    // started and not yet exited
  int running = 0;  // inside a channel's RunBatch: not free for another channel
  bool stopping = false;
  std::atomic<bool> accepting{true};
  std::atomic<bool> start_failed{false};  // the last attempt to start a thread failed: warned once

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

void RunThread(std::shared_ptr<PoolState> state) noexcept {
  std::unique_lock lock(state->mu);
  for (;;) {
    state->work.wait(lock, [&] { return state->stopping || !state->ready.empty(); });
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
    state->outstanding -= batch.done;
    if (state->outstanding == 0) state->idle.notify_all();
    if (batch.more) state->ready.push_back(std::move(channel));  // behind the others: fairness
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

void SinkChannel::Post(std::function<void(LogSink&)> fn) { Enqueue(Item{{}, nullptr, std::move(fn)}); }

void SinkChannel::Enqueue(Item item) {
  if (!pool_->accepting.load(std::memory_order_acquire)) {
    Credit(item.budget, item.lines.size());  // discarded: give the bytes back
    return;
  }
  {
    std::lock_guard lock(pool_->mu);
    ++pool_->outstanding;
  }
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
  for (Item& item : batch) {
    if (item.fn) {
      item.fn(*sink_);
    } else {
      sink_->Write(item.lines);
      Credit(item.budget, item.lines.size());
    }
  }
  std::lock_guard lock(mu_);
  if (!items_.empty()) return {batch.size(), true};
  scheduled_ = false;
  return {batch.size(), false};
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
  bool all_exited;
  {
    std::unique_lock lock(state_->mu);
    state_->stopping = true;  // from now on no thread is started
    state_->work.notify_all();
    all_exited = state_->idle.wait_until(lock, deadline, [&] { return state_->alive == 0; });
    threads.swap(state_->threads);
  }
  for (auto& t : threads) {
    if (all_exited) t.join();
    else t.detach();  // blocked in a write that may never return; it holds its own state
  }
}

}  // namespace sup::daemon::output
