#include "systemd/sd_notify_sender.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sup/notify_datagram.h"

namespace sup::daemon::systemd {

// The address rules and the send are the ones libsupagent and `supctl notify` use
// (sup/notify_datagram.h): systemd's, an absolute path or '@' for the abstract namespace.
Result<void> SdNotifySender::Send(std::string_view message) const {
  if (socket_.empty()) return {};
  const std::string context = "sd_notify to " + socket_;
  sockaddr_un addr;
  socklen_t addr_len = 0;
  if (sup_notify_address(socket_.data(), socket_.size(), &addr, &addr_len) != 0)
    return Fail(Error{ErrorCode::kInvalidConfig, 0, context + ": not a socket address"});
  // Non-blocking: a manager that stops reading makes the send fail with EAGAIN, never stall.
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(SystemError(context + ": socket", errno));
  const int result = sup_notify_send(fd, &addr, addr_len, message.data(), message.size(), -1);
  ::close(fd);
  if (result < 0) return Fail(SystemError(context, -result));
  return {};
}

}  // namespace sup::daemon::systemd
