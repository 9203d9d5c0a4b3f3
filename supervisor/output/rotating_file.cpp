#include "output/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "sup/base/file_type.h"

namespace sup::daemon::output {
namespace {

// O_NONBLOCK: opening a FIFO or a terminal never waits (for a reader, for carrier); what is
// opened is then checked with fstat and kept only if it is a regular file, where O_NONBLOCK
// changes nothing.
constexpr int kOpenFlags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
constexpr mode_t kFileMode = 0640;

// mkdir -p of the directories above `path`; errors surface when the open is retried.
void MakeParents(const std::string& path) {
  for (std::size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    ::mkdir(path.substr(0, pos).c_str(), 0750);
  }
}

// The open log file, or -1 with `error` set ("open PATH: reason") and errno kept.
int OpenLog(const std::string& path, int extra_flags, std::string& error) {
  int fd = ::open(path.c_str(), kOpenFlags | extra_flags, kFileMode);
  if (fd < 0 && errno == ENOENT) {
    MakeParents(path);
    fd = ::open(path.c_str(), kOpenFlags | extra_flags, kFileMode);
  }
  struct stat st {};
  if (fd < 0) {
    const int err = errno;
    // ENXIO: a FIFO nobody reads, or a device without its driver: say what the path is.
    error = "open " + path + ": " +
            (err == ENXIO && ::lstat(path.c_str(), &st) == 0 ? NotALogFile(path, st.st_mode)
                                                             : std::strerror(err));
    errno = err;
    return -1;
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "open " + path + ": " + NotALogFile(path, st.st_mode);
    ::close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

bool OutOfSpace(int err) { return err == ENOSPC || err == EDQUOT; }

std::uint64_t FileSize(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Rotation moves `from` to `to` only when `from` is a regular file (and, given `mine`, the very
// file supd has open) and `to` is absent or a regular file: a device node, FIFO or someone
// else's file at either name is left where it is (SPEC §9.1).
enum class Moved { kDone, kNotOurs, kFailed };
Moved RenameOurs(const std::string& from, const std::string& to, const struct stat* mine) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) return errno == ENOENT ? Moved::kDone : Moved::kFailed;
  if (!S_ISREG(st.st_mode) || (mine && (st.st_dev != mine->st_dev || st.st_ino != mine->st_ino))) {
    spdlog::warn("rotate: {} is {} supd did not write: not renamed", from,
                 S_ISREG(st.st_mode) ? "a file" : FileTypeName(st.st_mode));
    return Moved::kNotOurs;
  }
  if (::lstat(to.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    spdlog::warn("rotate {}: {} is {}: not replaced", from, to, FileTypeName(st.st_mode));
    return Moved::kFailed;
  }
  if (::rename(from.c_str(), to.c_str()) != 0) {
    spdlog::warn("rotate {}: {}", from, std::strerror(errno));
    return Moved::kFailed;
  }
  return Moved::kDone;
}

std::size_t CountLines(std::string_view s) { return std::count(s.begin(), s.end(), '\n'); }

}  // namespace

Result<std::unique_ptr<RotatingFile>> RotatingFile::Open(std::string path, std::uint64_t max_size,
                                                         int backups) {
  std::string error;
  const int fd = OpenLog(path, 0, error);
  if (fd < 0) return sup::Fail(Error{ErrorCode::kSystem, 0, std::move(error)});  // whole message
  const std::uint64_t size = FileSize(fd);
  return std::unique_ptr<RotatingFile>(
      new RotatingFile(std::move(path), fd, size, max_size, backups));
}

RotatingFile::RotatingFile(std::string path, int fd, std::uint64_t size, std::uint64_t max_size,
                           int backups)
    : path_(std::move(path)), fd_(fd), size_(size), max_size_(max_size), backups_(backups) {}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t RotatingFile::Write(std::string_view lines) {
  const std::size_t total = lines.size();
  while (!lines.empty()) {
    if (!EnsureOpen()) {
      if (open_retryable_) return total - lines.size();  // no room for a new file: try again
      lost_lines_ += CountLines(lines);
      return total;
    }
    std::size_t take = lines.size();
    if (max_size_ != 0 && size_ + lines.size() > max_size_) {
      // The whole lines that still fit; a line never straddles two files.
      take = 0;
      while (take < lines.size()) {
        const std::size_t nl = lines.find('\n', take);
        const std::size_t end = nl == std::string_view::npos ? lines.size() : nl + 1;
        if (size_ + end > max_size_) break;
        take = end;
      }
      if (take == 0) {
        if (size_ > 0) {
          Rotate();
          continue;
        }
        // Longer than max_size on its own: it gets a file to itself.
        const std::size_t nl = lines.find('\n');
        take = nl == std::string_view::npos ? lines.size() : nl + 1;
      }
    }
    const std::size_t written = WriteWhole(lines.substr(0, take));
    lines.remove_prefix(written);
    if (written < take) return total - lines.size();
  }
  return total;
}

bool RotatingFile::EnsureOpen() {
  if (fd_ >= 0) return true;
  if (Clock::now() < retry_at_) return false;
  std::string error;
  fd_ = OpenLog(path_, 0, error);
  if (fd_ < 0) {
    open_retryable_ = OutOfSpace(errno);
    Fail(std::move(error));
    return false;
  }
  open_retryable_ = false;
  size_ = FileSize(fd_);
  retry_delay_ = kRetryInitial;
  SetStatus("");
  return true;
}

std::size_t RotatingFile::WriteWhole(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      // A line is whole or absent: what went out of the torn line is taken back, so the next
      // write (a retry, or the next lines) starts on a line of its own.
      const std::size_t nl = bytes.substr(0, done).rfind('\n');
      const std::size_t whole = nl == std::string_view::npos ? 0 : nl + 1;
      if (whole < done) {
        const std::uint64_t start = size_ - done;
        if (::ftruncate(fd_, static_cast<off_t>(start + whole)) == 0) size_ = start + whole;
        else spdlog::warn("log file {}: cut back to a whole line: {}", path_, std::strerror(errno));
      }
      write_failed_ = true;
      SetStatus("write " + path_ + ": " + std::strerror(err));
      return whole;
    }
    done += static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
  if (write_failed_) {
    write_failed_ = false;
    SetStatus("");
  }
  return done;
}

void RotatingFile::Rotate() {
  struct stat mine {};
  const bool known = ::fstat(fd_, &mine) == 0;
  ::close(fd_);
  fd_ = -1;
  int extra = 0;
  if (backups_ > 0) {
    for (int i = backups_ - 1; i >= 1; --i)
      RenameOurs(path_ + "." + std::to_string(i), path_ + "." + std::to_string(i + 1), nullptr);
    // Refused: truncate instead, to keep the size bound. Not ours (logrotate moved it, or
    // something else took the name): open whatever is there now, which the open checks.
    const Moved moved = known ? RenameOurs(path_, path_ + ".1", &mine) : Moved::kFailed;
    if (moved == Moved::kFailed) extra = O_TRUNC;
  } else {
    extra = O_TRUNC;
  }
  std::string error;
  fd_ = OpenLog(path_, extra, error);
  if (fd_ < 0) {
    open_retryable_ = OutOfSpace(errno);
    Fail(std::move(error));
    return;
  }
  size_ = FileSize(fd_);
}

void RotatingFile::Reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  retry_at_ = {};
  retry_delay_ = kRetryInitial;
  EnsureOpen();
}

void RotatingFile::Configure(const conf::OutputSpec& spec) {
  max_size_ = spec.max_size;
  backups_ = spec.backups;
}

void RotatingFile::Fail(std::string message) {
  retry_at_ = Clock::now() + retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, kRetryMax);
  write_failed_ = false;
  SetStatus(std::move(message));
}

void RotatingFile::SetStatus(std::string s) {
  std::lock_guard lock(status_mu_);
  if (s == status_) return;
  if (!s.empty()) spdlog::warn("log file: {}", s);
  else spdlog::info("log file {} writable again", path_);
  status_ = std::move(s);
}

std::string RotatingFile::status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

}  // namespace sup::daemon::output
