// StreamSink: forwards captured lines to one of supd's own descriptors (stdout or stderr).
// The descriptor is inherited and may be blocking: its flags are never changed, which is why
// only a writer thread writes it. A hard failure (EPIPE, EBADF, EIO, …) is logged once, counted
// in errors(), and ends forwarding to that stream; later lines are discarded at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "output/log_sink.h"

namespace sup::daemon::output {

class StreamSink : public LogSink {
 public:
  // `fd` is borrowed: it must stay open (or fail cleanly) while the sink lives.
  StreamSink(int fd, std::string label) : fd_(fd), label_(std::move(label)) {}

  std::size_t Write(std::string_view lines) override;  // always all of them
  std::string status() const override;

  // Any thread: producers stop queueing once the stream failed.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  const int fd_;
  const std::string label_;  // "stdout" / "stderr"
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<int> errno_{0};
};

}  // namespace sup::daemon::output
