#include "core/waiter.h"

#include "core/instance.h"

namespace sup::daemon {
namespace {

const char* NoteText(Waiter::Note note) {
  switch (note) {
    case Waiter::Note::kNone: return "";
    case Waiter::Note::kAlreadyRunning: return "already running";
    case Waiter::Note::kAlreadyStopped: return "already stopped";
  }
  return "";
}

}  // namespace

const char* OutcomeName(WaitResult::Outcome outcome) {
  switch (outcome) {
    case WaitResult::Outcome::kOk: return "ok";
    case WaitResult::Outcome::kFailed: return "failed";
    case WaitResult::Outcome::kTimeout: return "timeout";
  }
  return "failed";
}

Waiter::Waiter(ProcessRunner& runner, std::shared_ptr<WaitSink> sink, WaitTarget target,
               std::vector<Item> items, std::chrono::milliseconds timeout)
    : sink_(std::move(sink)),
      target_(target),
      items_(std::move(items)),
      runner_(runner),
      started_(runner.Now()),
      undecided_(items_.size()) {
  if (timeout.count() > 0) {
    timer_ = runner_.NewTimer();
    timer_->Start(timeout, [this] { TimeOut(); });
  }
}

// The cancel hook names this waiter: it must not outlive it.
Waiter::~Waiter() { sink_->OnCancel({}); }

void Waiter::set_on_end(std::function<void()> fn) {
  on_end_ = std::move(fn);
  sink_->OnCancel([this] {
    if (on_end_) on_end_();
  });
}

bool Waiter::CheckDone() {
  if (finished_) return true;
  if (!sink_->open()) {  // the client went away: the actions carry on, nobody to tell
    finished_ = true;
    if (timer_) timer_->Stop();
  } else if (undecided_ == 0) {
    finished_ = true;
    if (timer_) timer_->Stop();
    sink_->OnDone();
  }
  return finished_;
}

bool Waiter::Evaluate(TimePoint now) {
  if (CheckDone()) return true;
  for (auto& item : items_) {
    if (!item.decided) Decide(item, now);
    if (finished_) return true;  // reporting dropped the client
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
    std::string message = NoteText(item.note);
    if (target_ == WaitTarget::kStopOutcome && item.instance->fsm().status().sigkill_needed)
      message = "stopped (SIGKILL after " + FormatDuration(item.instance->spec().stop_timeout) +
                ")";
    Report(item, WaitResult::Outcome::kOk, std::move(message));
  } else if (v.outcome == WaitOutcome::kImpossible) {
    Report(item, WaitResult::Outcome::kFailed, v.doing);
  }
}

void Waiter::ForgetItem(std::size_t index) {
  Item& item = items_[index];
  if (finished_ || item.decided) return;
  const bool stopping = target_ == WaitTarget::kStopOutcome || target_ == WaitTarget::kStopped;
  Report(item, stopping ? WaitResult::Outcome::kOk : WaitResult::Outcome::kFailed,
         "removed by reload");
  CheckDone();
}

void Waiter::Report(Item& item, WaitResult::Outcome outcome, std::string message) {
  item.decided = true;
  --undecided_;
  const InstanceStatus& s = item.instance->fsm().status();
  sink_->OnResult({item.instance->name(), outcome, s.state, std::move(message), s.sigkill_needed});
}

void Waiter::TimeOut() {
  if (finished_) return;
  const TimePoint now = runner_.Now();
  const std::string waited = FormatDuration(now - started_);
  for (auto& item : items_) {
    if (item.decided) continue;
    Report(item, WaitResult::Outcome::kTimeout,
           item.instance->state() == State::kStopped && target_ != WaitTarget::kStopOutcome
               ? std::string("STOPPED")
               : DescribeActivity(item.instance->fsm(), now) + " (" + waited + ")");
  }
  finished_ = true;
  sink_->OnDone();
  if (on_end_) on_end_();
}

}  // namespace sup::daemon
