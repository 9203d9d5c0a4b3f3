#include "output/stream_sink.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace sup::daemon::output {

std::size_t StreamSink::Write(std::string_view lines) {
  const std::size_t total = lines.size();
  if (failed()) return total;
  while (!lines.empty()) {
    const ssize_t n = ::write(fd_, lines.data(), lines.size());
    if (n >= 0) {
      lines.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Someone else made the shared descriptor non-blocking: wait here, on the writer
      // thread, rather than touch its flags.
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 1000) < 0 && errno != EINTR) break;
      continue;
    }
    break;
  }
  if (lines.empty()) return total;
  const int err = errno;
  errno_.store(err, std::memory_order_relaxed);
  errors_.fetch_add(1, std::memory_order_relaxed);
  failed_.store(true, std::memory_order_release);
  spdlog::error("forwarding to supd's {} stopped: write: {}", label_, std::strerror(err));
  return total;
}

std::string StreamSink::status() const {
  if (!failed()) return {};
  return "write " + label_ + ": " + std::strerror(errno_.load(std::memory_order_relaxed));
}

}  // namespace sup::daemon::output
