// RotatingFile: a log file sink that rotates by size (FILE -> FILE.1 -> … FILE.N, newest .1)
// without ever splitting a line across two files, and survives write errors: the error is
// kept as status(), the lines meanwhile are lost, and writing is retried after a back-off.
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

  // Opens (creating 0640, O_APPEND|O_NOFOLLOW|O_CLOEXEC; missing parent directories are made
  // 0750) on the calling thread. The error is what a failed start reports:
  // "open /var/log/sup/web.log: Permission denied".
  static Result<std::unique_ptr<RotatingFile>> Open(std::string path, std::uint64_t max_size,
                                                    int backups);
  ~RotatingFile() override;
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  void Write(std::string_view lines) override;
  void Reopen() override;
  void Configure(const conf::OutputSpec& spec) override;
  std::string status() const override;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t lost_lines() const { return lost_lines_; }

 private:
  RotatingFile(std::string path, int fd, std::uint64_t size, std::uint64_t max_size, int backups);
  bool EnsureOpen();                      // false while failing and the back-off has not elapsed
  bool WriteAll(std::string_view bytes);  // records the error and closes the fd on failure
  void Rotate();
  void Fail(const std::string& what, int err);
  void SetStatus(std::string s);

  const std::string path_;
  int fd_;  // -1 while failed
  std::uint64_t size_;
  std::uint64_t max_size_;
  int backups_;
  std::uint64_t lost_lines_ = 0;
  Clock::time_point retry_at_{};
  std::chrono::milliseconds retry_delay_{kRetryInitial};
  mutable std::mutex status_mu_;  // guards status_ only: read by the loop thread
  std::string status_;
};

}  // namespace sup::daemon::output
