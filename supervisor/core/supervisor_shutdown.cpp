// Supervisor's graceful shutdown (SPEC §4 "Stopping", §7): waves, the shutdown_timeout,
// the last-resort SIGKILL, and the exit code it leads to.
#include <spdlog/spdlog.h>

#include "core/supervisor.h"

namespace sup::daemon {

void Supervisor::OnFatalShutdown(Instance& instance, const std::string& reason) {
  if (shutdown_.begun()) return;
  spdlog::error("{}: on_fatal = \"shutdown\": {}", instance.name(), reason);
  shutdown_.MarkFatal();
  BeginShutdown(instance.name() + " failed");
}

void Supervisor::BeginShutdown(const std::string& why) {
  if (shutdown_.begun()) return;
  // Marked begun before anything is told, so that what reacts already sees it.
  shutdown_.Begin(runner().Now());
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
  shutdown_.SetToStop(alive);
  stop_waves_.Clear();
  stop_waves_.Add(alive);
  shutdown_.timer = runner().NewTimer();
  shutdown_.timer->Start(config_->supervisor.shutdown_timeout, [this] {
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
    shutdown_.MarkKilledAtTimeout();
    i->ForceKill(why);
  }
}

void Supervisor::CheckShutdownDone() {
  if (!shutdown_.begun() || shutdown_.done()) return;
  for (auto* i : AllInstances())
    if (i->has_process()) return;
  for (auto& i : retiring_)
    if (i->has_process()) return;
  shutdown_.MarkDone();
  if (shutdown_.timer) shutdown_.timer->Stop();
  spdlog::info("every program has stopped");
  if (on_shutdown_done_) on_shutdown_done_();
}

}  // namespace sup::daemon
