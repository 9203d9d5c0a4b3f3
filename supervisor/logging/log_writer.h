// The sink behind supd's own log: formatted lines go into a bounded queue that one thread
// writes to stderr. The loop never blocks on a slow or stuck stderr (the oldest lines are
// dropped and counted instead), and the thread sleeps on a condition variable with no
// timeout, so an idle supd has no wake-ups (spdlog 1.10's async pool wakes every 10 s).
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace sup::daemon {

class StderrWriterSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit StderrWriterSink(int fd = 2, std::size_t max_queued_bytes = 1 << 20);
  ~StderrWriterSink() override;  // writes what is queued (bounded wait), then joins
  StderrWriterSink(const StderrWriterSink&) = delete;
  StderrWriterSink& operator=(const StderrWriterSink&) = delete;

  std::uint64_t dropped() const;

  // Lines logged on `thread` (the event loop's) stop waking the writer one by one: they wait
  // for WakeIfPending(), which the loop calls before it sleeps, so a burst of lines (200
  // programs starting) is one wake-up instead of 200. Lines from other threads wake it at
  // once. A default-constructed id turns this off.
  void DeferWakeUpsOn(std::thread::id thread);
  static constexpr std::size_t kDeferredBytes = 64 * 1024;  // then the writer is woken anyway
  void WakeIfPending();

  // For a process about to _exit: writes what is queued on the calling thread, once the
  // writer has put down the batch it holds (so the order stays). No hand-over to the writer
  // and no join: as PID 1 both were thread wake-ups between supd's last line and its exit
  // status (BENCHMARKS.md pid1). The writer goes on as before for later lines.
  void WriteQueuedHere();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  void Run();

  const int fd_;
  const std::size_t max_queued_bytes_;
  mutable std::mutex mu_;  // guards everything below; separate from base_sink's formatting mutex
  std::condition_variable wake_;
  std::condition_variable batch_done_;  // the writer put down a batch (WriteQueuedHere waits)
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  bool stop_ = false;
  bool writing_ = false;  // the writer holds a batch taken from queue_
  std::thread::id deferred_thread_;  // lines logged on it leave the wake-up to WakeIfPending()
  bool pending_ = false;             // such a line is queued and the writer not yet woken
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace sup::daemon
