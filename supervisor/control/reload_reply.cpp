#include "control/reload_reply.h"

#include "control/wait_reply.h"
#include "protocol/errors.h"

namespace sup::daemon::control {
namespace {

class CallReloadReceiver final : public ReloadReceiver {
 public:
  explicit CallReloadReceiver(std::shared_ptr<Call> call) : call_(std::move(call)) {}

  void OnApplied(ReloadResult result) override {
    nlohmann::json reply = ReloadPlanJson(result.plan);
    if (result.instances) {
      nlohmann::json instances = nlohmann::json::array();
      for (const auto& r : *result.instances) instances.push_back(WaitResultJson(r));
      reply["instances"] = std::move(instances);
    }
    call_->Succeed(std::move(reply));
  }
  void OnRefused(ReloadRefusal refusal) override {
    switch (refusal.reason) {
      case ReloadRefusal::Reason::kShuttingDown:
        return call_->Fail(protocol::code::kShuttingDown, refusal.message);
      case ReloadRefusal::Reason::kConfigErrors:
        return call_->Fail(protocol::code::kConfigError, refusal.message,
                           {{"errors", refusal.errors}});
      case ReloadRefusal::Reason::kFailed:
        return call_->Fail(protocol::code::kFailed, refusal.message);
    }
  }
  bool open() const override { return call_->open(); }
  void OnCancel(std::function<void()> fn) override { call_->OnCancel(std::move(fn)); }

 private:
  std::shared_ptr<Call> call_;
};

}  // namespace

nlohmann::json ReloadPlanJson(const conf::ReloadPlan& plan) {
  auto changes = [](const std::vector<conf::ProgramChange>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list) out.push_back({{"name", c.name}, {"keys", c.keys}});
    return out;
  };
  return {{"added", plan.added},
          {"removed", plan.removed},
          {"restarted", changes(plan.restarted)},
          {"updated", changes(plan.updated)},
          {"untouched", plan.untouched},
          {"not_applied", plan.not_applied}};
}

std::shared_ptr<ReloadReceiver> ReloadReply(std::shared_ptr<Call> call) {
  return std::make_shared<CallReloadReceiver>(std::move(call));
}

}  // namespace sup::daemon::control
