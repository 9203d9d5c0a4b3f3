#include "systemd/systemd_notifier.h"

#include <spdlog/spdlog.h>

#include "core/supervisor.h"
#include "core/waiter.h"

namespace sup::daemon::systemd {

// The start-up wait's results, handed to the notifier once every instance has one. `owner_`
// is cleared when the notifier goes, so that a late result does nothing.
class SystemdNotifier::StartupSink final : public WaitSink {
 public:
  explicit StartupSink(SystemdNotifier* owner) : owner_(owner) {}
  void Detach() { owner_ = nullptr; }

  void OnResult(WaitResult result) override { results_.push_back(std::move(result)); }
  void OnDone() override {
    if (!open_) return;
    open_ = false;
    if (owner_ != nullptr) owner_->StartupDone(results_);
  }
  bool open() const override { return open_; }
  void OnCancel(std::function<void()>) override {}  // supd itself never goes away

 private:
  SystemdNotifier* owner_;
  std::vector<WaitResult> results_;
  bool open_ = true;
};

std::string ReadyStatus(const std::vector<WaitResult>& results) {
  const std::size_t total = results.size();
  std::vector<const WaitResult*> failed;
  for (const auto& r : results)
    if (r.outcome != WaitResult::Outcome::kOk) failed.push_back(&r);
  std::string status = total == 0 ? std::string("no program to start")
                                  : std::to_string(total - failed.size()) + " of " +
                                        std::to_string(total) + " instances ready";
  if (!failed.empty()) {
    status += "; not ready: ";
    for (std::size_t k = 0; k < failed.size(); ++k)
      status += (k ? ", " : "") + failed[k]->name + " " + failed[k]->message;
  }
  if (status.size() > 256) status = status.substr(0, 253) + "...";
  return status;
}

SystemdNotifier::SystemdNotifier(Supervisor& supervisor, std::string notify_socket)
    : supervisor_(supervisor), sender_(std::move(notify_socket)) {}

SystemdNotifier::~SystemdNotifier() {
  if (startup_) startup_->Detach();
  if (observing_) supervisor_.RemoveObserver(this);
}

void SystemdNotifier::WatchStartup() {
  if (!sender_.enabled() || startup_) return;
  supervisor_.AddObserver(this);
  observing_ = true;
  std::vector<Waiter::Item> items;
  for (Instance* i : supervisor_.AllInstances())
    if (i->fsm().status().wanted_up) items.push_back({i});
  startup_ = std::make_shared<StartupSink>(this);
  // A Waiter re-evaluated after every state change: no timer, no limit (0).
  supervisor_.AddWaiter(std::make_unique<Waiter>(supervisor_.runner(), startup_, WaitTarget::kReady,
                                                 std::move(items), std::chrono::milliseconds(0)));
}

void SystemdNotifier::StartupDone(const std::vector<WaitResult>& results) {
  if (ready_sent_ || stopping_sent_) return;
  ready_sent_ = true;
  Send("READY=1\nSTATUS=" + ReadyStatus(results));
}

void SystemdNotifier::OnShutdownBegan(const std::string& reason) {
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
