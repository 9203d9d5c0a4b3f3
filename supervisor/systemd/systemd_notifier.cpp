#include "systemd/systemd_notifier.h"

#include <spdlog/spdlog.h>

#include "control/call.h"
#include "core/supervisor.h"
#include "core/waiter.h"

namespace sup::daemon::systemd {

// The Supervisor speaks to waiters and event subscribers through control::Call; these two
// calls stand for supd itself instead of a client. `owner_` is cleared when the notifier goes,
// so a late Emit or End does nothing.
class SystemdNotifier::StartupCall final : public control::Call {
 public:
  explicit StartupCall(SystemdNotifier* owner, std::size_t total) : owner_(owner), total_(total) {}
  void Detach() { owner_ = nullptr; }

  const control::Peer& peer() const override { return peer_; }
  void Succeed(nlohmann::json) override { End(); }
  void Fail(std::string_view, std::string, nlohmann::json) override { End(); }
  // One outcome per instance, from Waiter: {"name","outcome":"ok"|"failed",…,"message"}.
  void Emit(nlohmann::json item) override {
    if (item.value("outcome", "") != "ok")
      failed_.push_back(item.value("name", "?") + " " + item.value("message", ""));
  }
  void End() override {
    if (!open_) return;
    open_ = false;
    if (owner_ != nullptr) owner_->StartupDone(failed_, total_);
  }
  bool open() const override { return open_; }
  void OnCancel(std::function<void()>) override {}

 private:
  SystemdNotifier* owner_;
  std::size_t total_;
  control::Peer peer_{0, 0, 0, true};
  std::vector<std::string> failed_;
  bool open_ = true;
};

class SystemdNotifier::ShutdownCall final : public control::Call {
 public:
  explicit ShutdownCall(SystemdNotifier* owner) : owner_(owner) {}
  void Detach() { owner_ = nullptr; }

  const control::Peer& peer() const override { return peer_; }
  void Succeed(nlohmann::json) override { End(); }
  void Fail(std::string_view, std::string, nlohmann::json) override { End(); }
  // Every event passes here; only {"event":"shutdown","reason":…} matters.
  void Emit(nlohmann::json item) override {
    const auto it = item.find("event");
    if (owner_ != nullptr && it != item.end() && *it == "shutdown")
      owner_->ShutdownBegan(item.value("reason", ""));
  }
  void End() override { open_ = false; }
  bool open() const override { return open_; }
  void OnCancel(std::function<void()>) override {}

 private:
  SystemdNotifier* owner_;
  control::Peer peer_{0, 0, 0, true};
  bool open_ = true;
};

SystemdNotifier::SystemdNotifier(Supervisor& supervisor, std::string notify_socket)
    : supervisor_(supervisor), sender_(std::move(notify_socket)) {}

SystemdNotifier::~SystemdNotifier() {
  if (startup_) startup_->Detach();
  if (shutdown_) {
    shutdown_->Detach();
    shutdown_->End();  // the event bus drops closed subscribers
  }
}

void SystemdNotifier::WatchStartup() {
  if (!sender_.enabled() || startup_) return;
  shutdown_ = std::make_shared<ShutdownCall>(this);
  supervisor_.events().Subscribe(shutdown_, {});
  std::vector<Waiter::Item> items;
  for (Instance* i : supervisor_.AllInstances())
    if (i->fsm().status().wanted_up) items.push_back({i, i->name(), ""});
  startup_ = std::make_shared<StartupCall>(this, items.size());
  // A Waiter re-evaluated after every state change: no timer, no limit (0).
  supervisor_.AddWaiter(std::make_unique<Waiter>(supervisor_.loop(), startup_, WaitTarget::kReady,
                                                 std::move(items), std::chrono::milliseconds(0), ""));
}

void SystemdNotifier::StartupDone(const std::vector<std::string>& failed, std::size_t total) {
  if (ready_sent_ || stopping_sent_) return;
  ready_sent_ = true;
  std::string status = total == 0 ? std::string("no program to start")
                                  : std::to_string(total - failed.size()) + " of " +
                                        std::to_string(total) + " instances ready";
  if (!failed.empty()) {
    status += "; not ready: ";
    for (std::size_t k = 0; k < failed.size(); ++k) status += (k ? ", " : "") + failed[k];
  }
  if (status.size() > 256) status = status.substr(0, 253) + "...";
  Send("READY=1\nSTATUS=" + status);
}

void SystemdNotifier::ShutdownBegan(const std::string& reason) {
  if (stopping_sent_) return;
  stopping_sent_ = true;
  Send("STOPPING=1\nSTATUS=shutting down" + (reason.empty() ? std::string() : " (" + reason + ")"));
}

void SystemdNotifier::Send(const std::string& message) {
  if (auto r = sender_.Send(message); !r) {
    spdlog::warn("{}", r.error().Message());
    return;
  }
  spdlog::debug("sd_notify: {}", message.substr(0, message.find('\n')));
}

}  // namespace sup::daemon::systemd
