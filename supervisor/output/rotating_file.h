// RotatingFile: a log file sink that rotates by size (FILE -> FILE.1 -> … FILE.N, newest .1)
// without ever splitting a line across two files. Only regular files are written (SPEC §9.1):
// anything else at the path is refused when opened, and rotation renames only regular files.
// A failed or short write (ENOSPC, EIO, EFBIG) is cut back to the last whole line and handed
// back to the caller to retry or drop; the error is status() until a write succeeds again. A
// file that cannot be opened loses its lines meanwhile and is retried after a back-off.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "output/log_sink.h"
#include "sup/base/result.h"

namespace sup::daemon::output {

class RotatingFile : public LogSink {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kRetryInitial{100};
  static constexpr std::chrono::milliseconds kRetryMax{5'000};

  // Opens (creating 0640, O_APPEND|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, so a FIFO or a terminal
  // never blocks the caller; missing parent directories are made 0750) on the calling thread.
  // The error is what a failed start reports: "open /var/log/sup/web.log: Permission denied",
  // "open /x/web.log: /x/web.log is a FIFO, not a regular file (file = "" discards output)".
  static Result<std::unique_ptr<RotatingFile>> Open(std::string path, std::uint64_t max_size,
                                                    int backups);
  ~RotatingFile() override;
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  std::size_t Write(std::string_view lines) override;
  void Reopen() override;
  void Configure(const conf::OutputSpec& spec) override;
  std::string status() const override;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t lost_lines() const { return lost_lines_; }

 private:
  RotatingFile(std::string path, int fd, std::uint64_t size, std::uint64_t max_size, int backups);
  bool EnsureOpen();  // false while failing and the back-off has not elapsed
  // The bytes of whole lines written; on a failed or short write the file is cut back to the
  // last whole line and the error recorded.
  std::size_t WriteWhole(std::string_view bytes);
  void Rotate();
  void Fail(std::string message);  // an open failed: status, and the back-off before the next
  void SetStatus(std::string s);

  const std::string path_;
  int fd_;  // -1 while failed
  std::uint64_t size_;
  std::uint64_t max_size_;
  int backups_;
  std::uint64_t lost_lines_ = 0;
  bool open_retryable_ = false;  // the last open failed for want of space: keep the lines
  bool write_failed_ = false;    // status_ holds a write error, cleared by the next good write
  Clock::time_point retry_at_{};
  std::chrono::milliseconds retry_delay_{kRetryInitial};
  mutable std::mutex status_mu_;  // guards status_ only: read by the loop thread
  std::string status_;
};

}  // namespace sup::daemon::output
