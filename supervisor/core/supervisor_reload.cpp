// Supervisor::ApplyReload and the retirement of instances that a reload removed.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/supervisor.h"
#include "process/fd_table.h"
#include "status/status_segment.h"

namespace sup::daemon {

void Supervisor::ApplyReload(std::shared_ptr<const conf::Config> new_config,
                             const conf::ReloadPlan& plan) {
  // The old snapshot stays alive as long as an instance still holds a view into it: every
  // kept instance is moved onto the new one below, retired ones keep theirs until destroyed.
  config_ = std::move(new_config);
  graph_ = DependencyGraph(*config_);
  // Threads share the table by now: one RCU grace period here instead of one per doubling.
  ReserveFdTable(FdsFor(*config_));
  SetProbeBudget();

  for (const auto& name : plan.removed) {
    auto it = std::find_if(programs_.begin(), programs_.end(),
                           [&](const ProgramEntry& p) { return p.spec->name == name; });
    if (it == programs_.end()) continue;
    for (auto& i : it->instances) Retire(std::move(i));
    programs_.erase(it);
  }
  IndexPrograms();

  auto changed = [](const std::vector<conf::ProgramChange>& list, const std::string& name) {
    return std::any_of(list.begin(), list.end(),
                       [&](const conf::ProgramChange& c) { return c.name == name; });
  };
  std::vector<ProgramEntry> reordered;
  std::vector<Instance*> to_start;
  for (const auto& spec : config_->programs) {
    ProgramEntry* existing = FindProgram(spec.name);
    if (!existing) {  // added
      ProgramEntry entry = MakeProgram(spec);
      if (spec.autostart)
        for (auto& i : entry.instances) to_start.push_back(i.get());
      reordered.push_back(std::move(entry));
      continue;
    }
    ProgramEntry entry = std::move(*existing);
    entry.spec = ViewOf(spec);
    const bool restart = changed(plan.restarted, spec.name);
    const bool update = restart || changed(plan.updated, spec.name);
    if (!update) {  // untouched: the same keys, now read from the new snapshot
      for (auto& i : entry.instances) i->RebindSpec(entry.spec);
      reordered.push_back(std::move(entry));
      continue;
    }
    const int old_count = static_cast<int>(entry.instances.size());
    ResizeProgram(entry);
    for (int i = 0; i < static_cast<int>(entry.instances.size()); ++i) {
      Instance& instance = *entry.instances[i];
      if (i >= old_count) {
        if (spec.autostart) to_start.push_back(&instance);
        continue;
      }
      instance.UpdateSpec(entry.spec, config_->supervisor);
      MarkChanged(instance);  // what a wait needs may depend on the spec (health checks)
      const State s = instance.state();
      const bool wanted = instance.fsm().status().wanted_up;
      // A changed program that is wanted up and FATAL, BACKOFF or STARTING starts afresh;
      // what the process *is* changed: a running one restarts.
      if (wanted && (s == State::kFatal || s == State::kBackoff || s == State::kStarting))
        instance.Restart();
      else if (restart && wanted && (s == State::kRunning))
        instance.Restart();
    }
    reordered.push_back(std::move(entry));
  }
  programs_ = std::move(reordered);
  IndexPrograms();
  for (auto* i : to_start) {
    i->Start();
    MarkChanged(*i);
  }
  for (auto* o : observers_) o->OnReloadApplied(plan);
  Settle();
}

void Supervisor::ResizeProgram(ProgramEntry& entry) {
  const int count = entry.spec->instances;
  // Highest indices first (SPEC §6): web:3 goes before web:2.
  while (static_cast<int>(entry.instances.size()) > count) {
    Retire(std::move(entry.instances.back()));
    entry.instances.pop_back();
  }
  for (int i = static_cast<int>(entry.instances.size()); i < count; ++i)
    entry.instances.push_back(MakeInstance(entry.spec, i));
}

void Supervisor::Retire(std::unique_ptr<Instance> instance) {
  Instance* raw = instance.get();
  retiring_.push_back(std::move(instance));
  stop_waves_.Forget(raw);
  raw->Stop();
  stop_waves_.AddStopped(raw);
  if (!sweep_timer_) sweep_timer_ = runner().NewTimer();
  sweep_timer_->Start(std::chrono::milliseconds(0), [this] { Sweep(); });
}

void Supervisor::Sweep() {
  std::vector<std::unique_ptr<Instance>> keep;
  for (auto& instance : retiring_) {
    if (instance->has_process()) {
      keep.push_back(std::move(instance));
      continue;
    }
    waiters_.ForgetInstance(*instance);
    stop_waves_.Forget(instance.get());
    spdlog::info("{}: removed", instance->name());
    if (services_.status) services_.status->Clear(instance->slot());
    slots_.Release(instance->slot());
  }
  retiring_ = std::move(keep);
}

}  // namespace sup::daemon
