// UniqueFd: sole owner of one file descriptor, closed exactly once by its destructor.
// Move-only; -1 means "owns nothing". Header-only so that any room can use it.
#pragma once

#include <unistd.h>

#include <utility>

namespace sup::daemon {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing; the caller now owns the returned fd.
  int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the current fd (if any) and owns `fd`. close() errors are ignored: on Linux the fd
  // is released even when close reports EINTR or EIO, so retrying would close someone else's.
  void reset(int fd = -1) noexcept {
    const int old = std::exchange(fd_, fd);
    if (old >= 0) ::close(old);
  }

 private:
  int fd_ = -1;
};

}  // namespace sup::daemon
