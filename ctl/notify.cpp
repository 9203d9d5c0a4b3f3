#include "ctl/notify.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "sup/notify_datagram.h"

namespace sup::ctl {
namespace {

// Closes an fd when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

Result<void> SendTo(int fd, const sockaddr_un& addr, socklen_t addr_len, const std::string& text,
                    int pass_fd) {
  if (const int err = sup_notify_send(fd, &addr, addr_len, text.data(), text.size(), pass_fd))
    return Fail(SystemError("send to NOTIFY_SOCKET", -err));
  return {};
}

}  // namespace

Result<void> SendNotify(const std::string& socket, const std::vector<std::string>& assignments,
                        bool barrier, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  socklen_t addr_len = 0;
  if (socket.size() < 2 || sup_notify_address(socket.data(), socket.size(), &addr, &addr_len) != 0) {
    return Fail(Error{ErrorCode::kInvalidConfig, 0, "NOTIFY_SOCKET '" + socket + "' is not a socket address"});
  }

  Fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) return Fail(SystemError("socket", errno));
  std::string text;
  for (const auto& a : assignments) text += a + "\n";
  if (auto sent = SendTo(sock.get(), addr, addr_len, text, -1); !sent) return sent;
  if (!barrier) return {};

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Fail(SystemError("pipe", errno));
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  if (auto sent = SendTo(sock.get(), addr, addr_len, "BARRIER=1\n", write_end.get()); !sent) return sent;
  write_end.Reset();  // now only supd holds it: EOF on read_end once supd closed it
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Fail(SystemError("poll", errno));
    if (ready == 0) {
      return Fail(Error{ErrorCode::kBusy, 0, "supd did not confirm the message (BARRIER=1) in time"});
    }
    return {};  // POLLHUP: every write end is closed
  }
}

}  // namespace sup::ctl
