// SystemdNotifier: supd's own readiness as a Type=notify service (deploy/systemd/supd.service).
// READY=1 goes to supd's $NOTIFY_SOCKET once every autostart instance is ready (or can no
// longer be: FATAL, a one-shot EXITED failed; STATUS= names those), at once if there is none;
// STOPPING=1 when a graceful shutdown begins, whatever began it. Without $NOTIFY_SOCKET it
// does nothing. Children never see supd's NOTIFY_SOCKET: they get supd's own notify socket.
// It observes the Supervisor (typed events and wait results); compiled into sup_daemon; loop
// thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/supervisor_observer.h"
#include "core/wait_result.h"
#include "systemd/sd_notify_sender.h"

namespace sup::daemon {
class Supervisor;
}

namespace sup::daemon::systemd {

// What READY=1's STATUS= says: "2 of 3 instances ready; not ready: web:0 …" (at most 256
// bytes), given the results of the start-up wait.
std::string ReadyStatus(const std::vector<WaitResult>& results);

class SystemdNotifier final : public SupervisorObserver {
 public:
  // `notify_socket`: supd's $NOTIFY_SOCKET at start-up ("" = not under systemd).
  // `supervisor` must outlive this object.
  SystemdNotifier(Supervisor& supervisor, std::string notify_socket);
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;
  ~SystemdNotifier() override;

  // Call once, right after Supervisor::StartAutostart(): waits (through the Supervisor's
  // waiters, no timer) for the instances wanted up now, then sends READY=1.
  void WatchStartup();

  bool ready_sent() const { return ready_sent_; }
  bool stopping_sent() const { return stopping_sent_; }

  void OnShutdownBegan(const std::string& reason) override;

 private:
  class StartupSink;
  void StartupDone(const std::vector<WaitResult>& results);
  void Send(const std::string& message);

  Supervisor& supervisor_;
  SdNotifySender sender_;
  std::shared_ptr<StartupSink> startup_;  // held by a Waiter of the Supervisor too
  bool observing_ = false;
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
};

}  // namespace sup::daemon::systemd
