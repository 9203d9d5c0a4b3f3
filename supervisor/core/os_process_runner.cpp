#include "core/os_process_runner.h"

#include <utility>

#include "health/health_checker.h"
#include "loop/timer.h"
#include "process/reaper.h"
#include "process/spawner.h"

namespace sup::daemon {
namespace {

class UvDeadlineTimer final : public DeadlineTimer {
 public:
  explicit UvDeadlineTimer(uv_loop_t& loop) : timer_(loop) {}
  void Start(std::chrono::milliseconds after, std::function<void()> fn) override {
    timer_.Start(after, std::move(fn));
  }
  void Stop() override { timer_.Stop(); }
  bool active() const override { return timer_.active(); }

 private:
  Timer timer_;
};

class CheckerProbes final : public HealthProbes {
 public:
  CheckerProbes(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper, HealthTarget target,
                ProcessRunner::ProbeFn on_result)
      : checker_(loop, spawner, reaper, std::move(target), std::move(on_result)) {
    checker_.Start();
  }
  void Stop() override { checker_.Stop(); }

 private:
  HealthChecker checker_;
};

}  // namespace

std::unique_ptr<DeadlineTimer> OsProcessRunner::NewTimer() {
  return std::make_unique<UvDeadlineTimer>(loop_);
}

Result<SpawnedChild> OsProcessRunner::Spawn(const SpawnRequest& request) {
  return spawner_.Spawn(request);
}

void OsProcessRunner::Watch(pid_t pid, ExitFn on_exit) { reaper_.Watch(pid, std::move(on_exit)); }

void OsProcessRunner::Unwatch(pid_t pid) { reaper_.Unwatch(pid); }

Result<void> OsProcessRunner::Kill(pid_t pid, int signal, bool to_group) {
  return daemon::Kill(pid, signal, to_group);
}

bool OsProcessRunner::GroupAlive(pid_t pgid) { return daemon::GroupAlive(pgid); }

std::unique_ptr<HealthProbes> OsProcessRunner::StartHealthChecks(HealthTarget target,
                                                                 ProbeFn on_result) {
  return std::make_unique<CheckerProbes>(loop_, spawner_, reaper_, std::move(target),
                                         std::move(on_result));
}

}  // namespace sup::daemon
