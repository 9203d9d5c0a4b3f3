#include "control/wait_reply.h"

namespace sup::daemon::control {
namespace {

class CallWaitSink final : public WaitSink {
 public:
  CallWaitSink(std::shared_ptr<Call> call, std::string warning)
      : call_(std::move(call)), warning_(std::move(warning)) {}

  void OnResult(WaitResult result) override {
    nlohmann::json line = WaitResultJson(result);
    if (!warning_.empty()) line["warning"] = std::exchange(warning_, std::string());
    call_->Emit(std::move(line));
  }
  void OnDone() override { call_->End(); }
  bool open() const override { return call_->open(); }
  void OnCancel(std::function<void()> fn) override { call_->OnCancel(std::move(fn)); }

 private:
  std::shared_ptr<Call> call_;
  std::string warning_;
};

}  // namespace

nlohmann::json WaitResultJson(const WaitResult& r) {
  return {{"name", r.name},
          {"outcome", OutcomeName(r.outcome)},
          {"state", StateName(r.state)},
          {"message", r.message},
          {"killed", r.killed}};
}

std::shared_ptr<WaitSink> WaitReply(std::shared_ptr<Call> call, std::string warning) {
  return std::make_shared<CallWaitSink>(std::move(call), std::move(warning));
}

}  // namespace sup::daemon::control
