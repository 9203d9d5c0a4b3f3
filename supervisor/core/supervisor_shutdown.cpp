// Supervisor's graceful shutdown (SPEC §4 "Stopping", §7): waves, the shutdown_timeout,
// the last-resort SIGKILL, and the exit code it leads to.
#include <spdlog/spdlog.h>

#include "core/exit_codes.h"
#include "core/supervisor.h"

namespace sup::daemon {

void Supervisor::OnFatalShutdown(Instance& instance, const std::string& reason) {
  if (shutting_down_) return;
  spdlog::error("{}: on_fatal = \"shutdown\": {}", instance.name(), reason);
  fatal_shutdown_ = true;
  BeginShutdown(instance.name() + " failed");
}

void Supervisor::BeginShutdown(const std::string& why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_began_ = runner().Now();
  spdlog::info("shutting down ({})", why);
  for (auto* o : observers_) o->OnShutdownBegan(why);
  // Only what has a process is stopped (in waves); EXITED and FATAL keep their state, and
  // BACKOFF or waiting instances go STOPPED through OnShutdown.
  std::vector<Instance*> alive;
  for (auto* i : AllInstances()) {
    if (i->has_process()) alive.push_back(i);
    i->Shutdown();
    MarkChanged(*i);  // a start being waited for may have become impossible silently
  }
  alive_at_shutdown_.insert(alive.begin(), alive.end());
  stop_batches_.clear();
  stop_batches_.push_back(StopBatch{alive, {}});
  shutdown_timer_ = runner().NewTimer();
  shutdown_timer_->Start(config_->supervisor.shutdown_timeout, [this] {
    spdlog::warn("shutdown_timeout ({}) expired: SIGKILL to everything left",
                 FormatDuration(config_->supervisor.shutdown_timeout));
    KillEverything("shutdown_timeout (" + FormatDuration(config_->supervisor.shutdown_timeout) +
                   ") expired");
  });
  Settle();
}

void Supervisor::KillEverything(std::string_view why) {
  std::vector<Instance*> all = AllInstances();
  for (auto& i : retiring_) all.push_back(i.get());
  for (auto* i : all) {
    if (!i->has_process()) continue;
    killed_at_timeout_ = true;
    i->ForceKill(why);
  }
}

void Supervisor::CheckShutdownDone() {
  if (!shutting_down_ || shutdown_done_) return;
  for (auto* i : AllInstances())
    if (i->has_process()) return;
  for (auto& i : retiring_)
    if (i->has_process()) return;
  shutdown_done_ = true;
  if (shutdown_timer_) shutdown_timer_->Stop();
  spdlog::info("every program has stopped");
  if (on_shutdown_done_) on_shutdown_done_();
}

int Supervisor::ShutdownExitCode() const {
  if (fatal_shutdown_) return kExitFatal;
  if (killed_at_timeout_) return kExitKilled;
  for (auto* i : alive_at_shutdown_)
    if (i->fsm().status().sigkill_needed) return kExitKilled;
  return kExitOk;
}

}  // namespace sup::daemon
