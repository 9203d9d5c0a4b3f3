#include "logging/log_writer.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

namespace sup::daemon {
namespace {

// Writes all of `text`; false when the descriptor is broken (nothing more can be done).
bool WriteAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {  // an inherited non-blocking stderr: wait for room
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

StderrWriterSink::StderrWriterSink(int fd, std::size_t max_queued_bytes)
    : fd_(fd), max_queued_bytes_(max_queued_bytes), thread_([this] { Run(); }) {}

StderrWriterSink::~StderrWriterSink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::uint64_t StderrWriterSink::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void StderrWriterSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  std::string line(formatted.data(), formatted.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    while (queued_bytes_ > max_queued_bytes_ && queue_.size() > 1) {  // overrun the oldest
      queued_bytes_ -= queue_.front().size();
      queue_.pop_front();
      ++dropped_;
    }
    // A long iteration (10 000 programs starting) still hands over every 64 KiB, far below
    // the bound at which the oldest lines would be overrun.
    if (std::this_thread::get_id() == deferred_thread_ && queued_bytes_ < kDeferredBytes) {
      pending_ = true;
      return;
    }
    pending_ = false;
  }
  wake_.notify_one();
}

void StderrWriterSink::DeferWakeUpsOn(std::thread::id thread) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    deferred_thread_ = thread;
  }
  WakeIfPending();  // what was deferred until now is not left behind
}

void StderrWriterSink::WakeIfPending() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_) return;
    pending_ = false;
  }
  wake_.notify_one();
}

void StderrWriterSink::WriteQueuedHere() {
  std::deque<std::string> batch;
  {
    std::unique_lock<std::mutex> lock(mu_);
    batch_done_.wait(lock, [this] { return !writing_; });
    batch.swap(queue_);
    queued_bytes_ = 0;
  }
  std::string text;
  for (auto& line : batch) text += line;
  WriteAll(fd_, text);
}

void StderrWriterSink::Run() {
  sigset_t all;  // signals belong to the loop thread's handlers, never to this one
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  bool broken = false;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    std::deque<std::string> batch;
    batch.swap(queue_);
    queued_bytes_ = 0;
    writing_ = true;
    lock.unlock();
    std::string text;
    for (auto& line : batch) text += line;
    if (!broken) broken = !WriteAll(fd_, text);
    lock.lock();
    writing_ = false;
    batch_done_.notify_all();
  }
}

}  // namespace sup::daemon
