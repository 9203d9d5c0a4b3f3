// OsProcessRunner: the ProcessRunner supd runs with: its own Spawner, the Reaper, kill(2),
// libuv timers and steady_clock. Loop thread only; everything it is given outlives it.
#pragma once

#include <uv.h>

#include "core/process_runner.h"

namespace sup::daemon {

class Reaper;
class Spawner;

class OsProcessRunner final : public ProcessRunner {
 public:
  OsProcessRunner(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper)
      : loop_(loop), spawner_(spawner), reaper_(reaper) {}

  TimePoint Now() override { return Clock::now(); }
  std::unique_ptr<DeadlineTimer> NewTimer() override;
  Result<SpawnedChild> Spawn(const SpawnRequest& request) override;
  void Watch(pid_t pid, ExitFn on_exit) override;
  void Unwatch(pid_t pid) override;
  Result<void> Kill(pid_t pid, int signal, bool to_group) override;
  bool GroupAlive(pid_t pgid) override;
  std::unique_ptr<HealthProbes> StartHealthChecks(HealthTarget target,
                                                  ProbeFn on_result) override;
  const resources::CgroupTree* cgroups() const override { return cgroups_; }
  void set_cgroups(const resources::CgroupTree* tree) { cgroups_ = tree; }
  void ReadUsage(resources::Probes probes, resources::ReadingsFn done) override {
    resources::ReadOnPool(loop_, std::move(probes), std::move(done));
  }
  std::shared_ptr<::sup::resources::FdBudget> probe_budget() override { return probe_budget_; }

 private:
  uv_loop_t& loop_;
  const Spawner& spawner_;
  Reaper& reaper_;
  const resources::CgroupTree* cgroups_ = nullptr;
  // Its limit set by the Supervisor (process/fd_table.h); shared with the probes.
  std::shared_ptr<::sup::resources::FdBudget> probe_budget_ = std::make_shared<::sup::resources::FdBudget>();
};

}  // namespace sup::daemon
