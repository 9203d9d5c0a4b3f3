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

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  void Run();

  const int fd_;
  const std::size_t max_queued_bytes_;
  mutable std::mutex mu_;  // guards everything below; separate from base_sink's formatting mutex
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace sup::daemon
