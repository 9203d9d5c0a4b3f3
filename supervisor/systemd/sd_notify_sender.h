// Sends sd_notify datagrams from supd itself to its own service manager (systemd's
// $NOTIFY_SOCKET as supd found it at start-up): READY=1, STOPPING=1, STATUS=. Non-blocking:
// a manager that does not read never stalls supd's loop (the message is dropped instead).
#pragma once

#include <string>
#include <string_view>

#include "sup/base/result.h"

namespace sup::daemon::systemd {

class SdNotifySender {
 public:
  // `socket`: a path, or "@name" for the abstract namespace; "" = not under a manager, and
  // every Send() succeeds doing nothing.
  explicit SdNotifySender(std::string socket) : socket_(std::move(socket)) {}

  bool enabled() const { return !socket_.empty(); }
  const std::string& socket() const { return socket_; }

  // One datagram, "KEY=value" lines separated by '\n'.
  Result<void> Send(std::string_view message) const;

 private:
  std::string socket_;
};

}  // namespace sup::daemon::systemd
