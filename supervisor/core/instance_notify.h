// What an instance's process announced over sd_notify besides its state changes (SPEC §6
// "sd_notify"): STATUS= text, ERRNO=, and STOPPING=1 / RELOADING=1 as `status` shows them.
// READY=1, RELOADING=1, WATCHDOG= and EXTEND_TIMEOUT_USEC= are the FSM's; the Instance feeds
// those. Loop thread only.
#pragma once

#include <optional>
#include <string>

#include "notify/notify_message.h"

namespace sup::daemon {

class NotifyAnnouncements {
 public:
  void Record(const NotifyMessage& m) {
    if (m.status) status_text_ = *m.status;
    if (m.error) errno_ = *m.error;
    if (m.stopping) state_ = "stopping";
    if (m.reloading) state_ = "reloading";
    if (m.ready && state_ == "reloading") state_.clear();  // the reload is over
  }
  // A new process: what the previous one said of itself no longer holds (STATUS= stays
  // until replaced, as systemd keeps it).
  void NewProcess() {
    state_.clear();
    errno_.reset();
  }

  const std::string& status_text() const { return status_text_; }
  const std::string& state() const { return state_; }  // "", "stopping" or "reloading"
  const std::optional<int>& error() const { return errno_; }

 private:
  std::string status_text_;
  std::string state_;
  std::optional<int> errno_;
};

}  // namespace sup::daemon
