#include "output/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace sup::daemon::output {
namespace {

constexpr int kOpenFlags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t kFileMode = 0640;

// mkdir -p of the directories above `path`; errors surface when the open is retried.
void MakeParents(const std::string& path) {
  for (std::size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    ::mkdir(path.substr(0, pos).c_str(), 0750);
  }
}

int OpenLog(const std::string& path, int extra_flags) {
  int fd = ::open(path.c_str(), kOpenFlags | extra_flags, kFileMode);
  if (fd < 0 && errno == ENOENT) {
    MakeParents(path);
    fd = ::open(path.c_str(), kOpenFlags | extra_flags, kFileMode);
  }
  return fd;
}

std::uint64_t FileSize(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::size_t CountLines(std::string_view s) { return std::count(s.begin(), s.end(), '\n'); }

}  // namespace

Result<std::unique_ptr<RotatingFile>> RotatingFile::Open(std::string path, std::uint64_t max_size,
                                                         int backups) {
  const int fd = OpenLog(path, 0);
  if (fd < 0) return sup::Fail(SystemError("open " + path, errno));
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

void RotatingFile::Write(std::string_view lines) {
  while (!lines.empty()) {
    if (!EnsureOpen()) {
      lost_lines_ += CountLines(lines);
      return;
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
    if (!WriteAll(lines.substr(0, take))) {
      lost_lines_ += CountLines(lines);  // the failed chunk may be partly written: count it lost
      return;
    }
    lines.remove_prefix(take);
  }
}

bool RotatingFile::EnsureOpen() {
  if (fd_ >= 0) return true;
  if (Clock::now() < retry_at_) return false;
  fd_ = OpenLog(path_, 0);
  if (fd_ < 0) {
    Fail("open " + path_, errno);
    return false;
  }
  size_ = FileSize(fd_);
  retry_delay_ = kRetryInitial;
  SetStatus("");
  return true;
}

bool RotatingFile::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd_);
      fd_ = -1;
      Fail("write " + path_, err);
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
  return true;
}

void RotatingFile::Rotate() {
  ::close(fd_);
  fd_ = -1;
  int extra = 0;
  if (backups_ > 0) {
    for (int i = backups_ - 1; i >= 1; --i) {
      ::rename((path_ + "." + std::to_string(i)).c_str(),
               (path_ + "." + std::to_string(i + 1)).c_str());
    }
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
      spdlog::warn("rotate {}: {}", path_, std::strerror(errno));
      extra = O_TRUNC;  // keep the size bound even when the rename is refused
    }
  } else {
    extra = O_TRUNC;
  }
  fd_ = OpenLog(path_, extra);
  if (fd_ < 0) {
    Fail("open " + path_, errno);
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

void RotatingFile::Fail(const std::string& what, int err) {
  retry_at_ = Clock::now() + retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, kRetryMax);
  SetStatus(what + ": " + std::strerror(err));
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
