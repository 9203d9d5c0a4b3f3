#include "core/waiter.h"

#include "core/instance.h"

namespace sup::daemon {

Waiter::Waiter(uv_loop_t& loop, std::shared_ptr<control::Call> call, WaitTarget target,
               std::vector<Item> items, std::chrono::milliseconds timeout, std::string warning)
    : call_(std::move(call)),
      target_(target),
      items_(std::move(items)),
      warning_(std::move(warning)),
      started_(Clock::now()),
      timer_(loop),
      undecided_(items_.size()) {
  if (timeout.count() > 0) timer_.Start(timeout, [this] { TimeOut(); });
}

// The cancel hook names this waiter: it must not outlive it.
Waiter::~Waiter() { call_->OnCancel({}); }

void Waiter::set_on_end(std::function<void()> fn) {
  on_end_ = std::move(fn);
  call_->OnCancel([this] {
    if (on_end_) on_end_();
  });
}

bool Waiter::CheckDone() {
  if (finished_) return true;
  if (!call_->open()) {  // the client went away: the actions carry on, nobody to tell
    finished_ = true;
    timer_.Stop();
  } else if (undecided_ == 0) {
    finished_ = true;
    timer_.Stop();
    call_->End();
  }
  return finished_;
}

bool Waiter::Evaluate(TimePoint now) {
  if (CheckDone()) return true;
  for (auto& item : items_) {
    if (!item.decided) Decide(item, now);
    if (finished_) return true;  // emitting dropped the client
  }
  return CheckDone();
}

bool Waiter::EvaluateItem(std::size_t item, TimePoint now) {
  if (CheckDone()) return true;
  if (!items_[item].decided) Decide(items_[item], now);
  return CheckDone();
}

void Waiter::Decide(Item& item, TimePoint now) {
  const WaitVerdict v = EvaluateWait(item.instance->fsm(), target_, now);
  if (v.outcome == WaitOutcome::kSatisfied) {
    std::string message = item.note;
    if (target_ == WaitTarget::kStopOutcome && item.instance->fsm().status().sigkill_needed)
      message = "stopped (SIGKILL after " + FormatDuration(item.instance->spec().stop_timeout) +
                ")";
    Emit(item, "ok", message);
  } else if (v.outcome == WaitOutcome::kImpossible) {
    Emit(item, "failed", v.doing);
  }
}

void Waiter::ForgetItem(std::size_t index) {
  Item& item = items_[index];
  if (finished_ || item.decided) return;
  const bool stopping = target_ == WaitTarget::kStopOutcome || target_ == WaitTarget::kStopped;
  Emit(item, stopping ? "ok" : "failed", "removed by reload");
  CheckDone();
}

void Waiter::Emit(Item& item, const char* outcome, const std::string& message) {
  item.decided = true;
  --undecided_;
  const InstanceStatus& s = item.instance->fsm().status();
  nlohmann::json line = {{"name", item.name},
                         {"outcome", outcome},
                         {"state", StateName(s.state)},
                         {"message", message},
                         {"killed", s.sigkill_needed}};
  if (!warning_.empty()) {
    line["warning"] = warning_;
    warning_.clear();
  }
  call_->Emit(std::move(line));
}

void Waiter::TimeOut() {
  if (finished_) return;
  const TimePoint now = Clock::now();
  const std::string waited = FormatDuration(now - started_);
  for (auto& item : items_) {
    if (item.decided) continue;
    Emit(item, "timeout",
         item.instance->state() == State::kStopped && target_ != WaitTarget::kStopOutcome
             ? std::string("STOPPED")
             : DescribeActivity(item.instance->fsm(), now) + " (" + waited + ")");
  }
  finished_ = true;
  call_->End();
  if (on_end_) on_end_();
}

}  // namespace sup::daemon
