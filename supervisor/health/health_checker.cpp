#include "health/health_checker.h"

#include <utility>

#include "health/exec_probe.h"
#include "health/net_probe.h"
#include "lifecycle/state.h"

namespace sup::daemon {

HealthChecker::HealthChecker(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper, HealthTarget target,
                             ResultFn on_result)
    : loop_(loop),
      spawner_(spawner),
      reaper_(reaper),
      target_(std::move(target)),
      on_result_(std::move(on_result)),
      interval_(loop),
      timeout_(loop) {}

HealthChecker::~HealthChecker() { Stop(); }

void HealthChecker::Start() {
  if (running_ || target_.spec.kind == conf::HealthKind::kNone) return;
  running_ = true;
  interval_.Start(std::chrono::milliseconds(0), [this] { RunProbe(); });
}

void HealthChecker::Stop() {
  running_ = false;
  interval_.Stop();
  timeout_.Stop();
  probe_.reset();
}

void HealthChecker::Update(HealthTarget target) { target_ = std::move(target); }

Result<std::unique_ptr<Probe>> HealthChecker::MakeProbe() const {
  switch (target_.spec.kind) {
    case conf::HealthKind::kExec:
      return std::unique_ptr<Probe>(std::make_unique<ExecProbe>(loop_, spawner_, reaper_, target_));
    case conf::HealthKind::kTcp: {
      auto address = ParseHostPort(target_.tcp);
      if (!address) return Fail(Error{ErrorCode::kInvalidConfig, 0, "tcp " + address.error().context});
      return std::unique_ptr<Probe>(std::make_unique<NetProbe>(loop_, std::move(*address)));
    }
    case conf::HealthKind::kHttp: {
      auto url = ParseHttpUrl(target_.http);
      if (!url) return Fail(Error{ErrorCode::kInvalidConfig, 0, "http " + url.error().context});
      return std::unique_ptr<Probe>(std::make_unique<NetProbe>(loop_, std::move(*url)));
    }
    case conf::HealthKind::kNone:
      break;
  }
  return Fail(Error{ErrorCode::kInvalidConfig, 0, "no health check configured"});
}

void HealthChecker::RunProbe() {
  if (!running_) return;
  if (target_.spec.kind == conf::HealthKind::kNone) {  // a reload removed the check
    running_ = false;
    return;
  }
  auto probe = MakeProbe();
  if (!probe) return Finish(false, probe.error().Message());
  probe_ = std::move(*probe);
  // A timeout of 0 would cut every probe before it could run: the interval bounds it then.
  const auto limit = target_.spec.timeout.count() > 0 ? target_.spec.timeout : target_.spec.interval;
  timeout_.Start(limit, [this, limit] { Finish(false, "timed out after " + FormatDuration(limit)); });
  auto started = probe_->Start([this](bool passed, const std::string& detail) { Finish(passed, detail); });
  if (!started) Finish(false, started.error().Message());
}

void HealthChecker::Finish(bool passed, std::string detail) {
  timeout_.Stop();
  probe_.reset();  // may run inside the probe's own callback: reporting is its last act
  if (running_) interval_.Start(target_.spec.interval, [this] { RunProbe(); });
  const ResultFn report = on_result_;  // a copy: the call may destroy *this
  report(passed, detail);
}

}  // namespace sup::daemon
