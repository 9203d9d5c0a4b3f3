// SystemdNotifier: supd's own readiness as a Type=notify service (deploy/systemd/supd.service).
// READY=1 goes to supd's $NOTIFY_SOCKET once every autostart instance is ready (or can no
// longer be: FATAL, a one-shot EXITED failed; STATUS= names those), at once if there is none;
// STOPPING=1 when a graceful shutdown begins, whatever began it. Without $NOTIFY_SOCKET it
// does nothing. Children never see supd's NOTIFY_SOCKET: they get supd's own notify socket.
// Compiled into sup_daemon; loop thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "systemd/sd_notify_sender.h"

namespace sup::daemon {
class Supervisor;
}

namespace sup::daemon::systemd {

class SystemdNotifier {
 public:
  // `notify_socket`: supd's $NOTIFY_SOCKET at start-up ("" = not under systemd).
  // `supervisor` must outlive this object.
  SystemdNotifier(Supervisor& supervisor, std::string notify_socket);
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;
  ~SystemdNotifier();

  // Call once, right after Supervisor::StartAutostart(): waits (through the Supervisor's
  // waiters, no timer) for the instances wanted up now, then sends READY=1.
  void WatchStartup();

  bool ready_sent() const { return ready_sent_; }
  bool stopping_sent() const { return stopping_sent_; }

 private:
  class StartupCall;
  class ShutdownCall;
  void StartupDone(const std::vector<std::string>& failed, std::size_t total);
  void ShutdownBegan(const std::string& reason);
  void Send(const std::string& message);

  Supervisor& supervisor_;
  SdNotifySender sender_;
  std::shared_ptr<StartupCall> startup_;    // held by a Waiter of the Supervisor too
  std::shared_ptr<ShutdownCall> shutdown_;  // subscribed to the Supervisor's events
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
};

}  // namespace sup::daemon::systemd
