#include "core/instance_health.h"

namespace sup::daemon {

void InstanceHealth::Start(ProcessRunner& runner, HealthTarget target, OnProbed on_probed) {
  counter_.UpdateSpec(target.spec);
  counter_.Start(runner.Now());
  probes_ = runner.StartHealthChecks(
      std::move(target), [this, &runner, on_probed = std::move(on_probed)](
                             bool passed, const std::string& detail) {
        detail_ = detail;
        on_probed(counter_.OnProbeResult(passed, runner.Now()), detail);
      });
}

void InstanceHealth::Stop() {
  if (probes_) probes_->Stop();
}

void InstanceHealth::UpdateSpec(const conf::HealthSpec& spec) {
  if (probes_ && !configured(spec)) Stop();
}

}  // namespace sup::daemon
