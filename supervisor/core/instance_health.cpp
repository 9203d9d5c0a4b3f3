#include "core/instance_health.h"

namespace sup::daemon {

void InstanceHealth::Start(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper,
                           HealthTarget target, TimePoint now, OnProbed on_probed) {
  counter_.UpdateSpec(target.spec);
  counter_.Start(now);
  checker_ = std::make_unique<HealthChecker>(
      loop, spawner, reaper, std::move(target),
      [this, on_probed = std::move(on_probed)](bool passed, const std::string& detail) {
        detail_ = detail;
        on_probed(counter_.OnProbeResult(passed, Clock::now()), detail);
      });
  checker_->Start();
}

void InstanceHealth::Stop() {
  if (checker_) checker_->Stop();
}

void InstanceHealth::UpdateSpec(const conf::HealthSpec& spec) {
  if (checker_ && !configured(spec)) Stop();
}

}  // namespace sup::daemon
