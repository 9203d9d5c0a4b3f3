#include "systemd/sd_notify_sender.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace sup::daemon::systemd {

// The address rules are systemd's (and libsupagent's, agent/src/notify.cpp): an absolute path,
// or '@' for a name in the abstract namespace, whose length ends it instead of a NUL.
Result<void> SdNotifySender::Send(std::string_view message) const {
  if (socket_.empty()) return {};
  const std::string context = "sd_notify to " + socket_;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if ((socket_[0] != '/' && socket_[0] != '@') || socket_.size() >= sizeof(addr.sun_path))
    return Fail(Error{ErrorCode::kInvalidConfig, 0, context + ": not a socket address"});
  memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@') {
    addr.sun_path[0] = '\0';
  } else {
    ++len;  // the terminating NUL
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(SystemError(context + ": socket", errno));
  ssize_t sent;
  do {
    sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                    reinterpret_cast<const sockaddr*>(&addr), len);
  } while (sent < 0 && errno == EINTR);
  const int err = sent < 0 ? errno : 0;
  ::close(fd);
  if (err != 0) return Fail(SystemError(context, err));
  return {};
}

}  // namespace sup::daemon::systemd
