// Supervisor: owns every Instance and the dependency graph, and applies the rules that span
// instances: dependency conditions before a start, stop waves (dependants first), waiting
// requests, on_fatal, the graceful shutdown. Loop thread only. Commands reach it through
// Commands (commands.h); what it has to tell goes to SupervisorObservers and WaitSinks as
// typed values, and never as a wire format.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "core/instance.h"
#include "core/instance_host.h"
#include "core/process_runner.h"
#include "core/shutdown_state.h"
#include "core/slot_numbers.h"
#include "core/stop_waves.h"
#include "core/supervisor_observer.h"
#include "core/waiter.h"
#include "core/waiter_registry.h"
#include "sup/base/result.h"
#include "sup/conf/config.h"
#include "sup/conf/diff.h"

namespace sup::daemon {

class StatusSegment;

struct SupervisorServices {
  ProcessRunner* runner = nullptr;  // spawns, signals, exits, timers, the clock
  output::OutputHub* output_hub = nullptr;
  StatusSegment* status = nullptr;  // null when status_shm = "" (or it could not be had)
  conf::Environment startup_env;  // supd's environment at start-up
  std::string notify_socket;      // NOTIFY_SOCKET for children ("" = none)
  // SUP_SOCKET for children: the socket supd serves, which a reload never changes (the config's
  // `socket` after a reload may name another, not applied).
  std::string control_socket;
};

class Supervisor final : public InstanceHost {
 public:
  // `config` is the first snapshot: the Supervisor is the one owner of the current config;
  // instances hold views into the snapshot they were made from (ProgramSpecView).
  Supervisor(SupervisorServices services, std::shared_ptr<const conf::Config> config);
  ~Supervisor() override;

  // The current snapshot, swapped whole by ApplyReload (never edited in place).
  const conf::Config& config() const { return *config_; }
  const std::shared_ptr<const conf::Config>& snapshot() const { return config_; }

  // Observers are told in the order they were added; each must be removed before it is
  // destroyed, or outlive the Supervisor.
  void AddObserver(SupervisorObserver* observer);
  void RemoveObserver(SupervisorObserver* observer);

  // Starts every autostart instance, lowest priority first.
  void StartAutostart();

  Result<std::vector<Instance*>> Select(const std::vector<std::string>& selectors);
  std::vector<Instance*> AllInstances();

  // Operator commands (SPEC §4 "Commands by state"). Start also starts the dependencies
  // that are not wanted up; a stop of several programs goes in waves, dependants first.
  void Start(const std::vector<Instance*>& instances);
  void Stop(const std::vector<Instance*>& instances);
  void Restart(const std::vector<Instance*>& instances, bool with_dependants);
  // Running dependants of `instances` that are not themselves selected ("a, b").
  std::string RunningDependants(const std::vector<Instance*>& instances);
  void AddWaiter(std::unique_ptr<Waiter> waiter) { waiters_.Add(std::move(waiter)); }

  // Graceful shutdown (SPEC §4 "Stopping", §7). `on_done` runs once when nothing is left.
  void BeginShutdown(const std::string& why);
  // A second TERM/INT: SIGKILL everything left now.
  void KillEverything(std::string_view why);
  bool shutting_down() const { return shutdown_.begun(); }
  TimePoint shutdown_began() const { return shutdown_.began_at(); }
  // Exit code of a finished shutdown per SPEC §7: 3 on_fatal, 1 something SIGKILLed, else 0.
  int ShutdownExitCode() const { return shutdown_.ExitCode(); }
  void set_on_shutdown_done(std::function<void()> fn) { on_shutdown_done_ = std::move(fn); }
  // `-- CMD`: the exit of the program named "main" ends supd with its status.
  void set_main_program(bool on) { main_program_ = on; }
  std::optional<int> main_exit_code() const { return main_exit_code_; }

  // Reload (SPEC §6): executes `plan` (conf::Diff of the current and the new config, which
  // was validated as a whole). Removed instances are stopped and dropped once gone.
  void ApplyReload(std::shared_ptr<const conf::Config> new_config, const conf::ReloadPlan& plan);
  void ApplyReload(conf::Config new_config, const conf::ReloadPlan& plan) {
    ApplyReload(std::make_shared<const conf::Config>(std::move(new_config)), plan);
  }

  // An sd_notify datagram arrived: false when its sender belongs to no instance (rejected).
  bool OnNotify(const NotifyMessage& message);

  // The reaper reaped a process nobody watched (an orphan, or a drained group member).
  void OnOrphanReaped();

  // InstanceHost
  ProcessRunner& runner() override { return *services_.runner; }
  output::OutputHub& output_hub() override { return *services_.output_hub; }
  double UnitRandom() override;
  std::unique_ptr<CounterPage> NewCounterPage() override;
  std::vector<std::string> ChildEnvironment(const Instance& instance) override;
  void CheckDependencies(Instance& instance) override;
  void OnTransition(Instance& instance, State from, State to, const std::string& reason) override;
  void OnStatusChanged(Instance& instance) override;
  void OnFatalShutdown(Instance& instance, const std::string& reason) override;
  void Settle() override;

 private:
  struct ProgramEntry {
    ProgramSpecView spec;  // into config_
    std::vector<std::unique_ptr<Instance>> instances;
  };
  ProgramEntry* FindProgram(const std::string& name);
  // A view of `spec`, which lies in the current snapshot, that keeps the snapshot alive.
  ProgramSpecView ViewOf(const conf::ProgramSpec& spec) const { return {config_, &spec}; }
  ProgramEntry MakeProgram(const conf::ProgramSpec& spec);
  std::unique_ptr<Instance> MakeInstance(const ProgramSpecView& spec, int index);
  // Stops an instance that reload removed; Sweep() destroys it once it has no process,
  // outside any of its own callbacks.
  void Retire(std::unique_ptr<Instance> instance);
  void Sweep();
  void ResizeProgram(ProgramEntry& entry);
  void Publish(Instance& instance);
  void PumpDependencies();
  void MarkChanged(Instance& instance) { waiters_.MarkChanged(instance); }
  void CheckShutdownDone();
  // Whether `dep` holds for every instance of its program; sets `failure` when it never will.
  bool DependencyHolds(const conf::Dependency& dep, std::string& failure);
  void StartDependenciesOf(const std::string& program, std::set<std::string>& seen);

  SupervisorServices services_;
  std::shared_ptr<const conf::Config> config_;  // never null
  DependencyGraph graph_;
  std::vector<ProgramEntry> programs_;
  std::unordered_map<std::string, std::size_t> program_index_;  // name -> programs_ index
  void IndexPrograms();
  // The descriptors the accounting probes may hold: what the config leaves spare.
  void SetProbeBudget();
  std::vector<SupervisorObserver*> observers_;
  WaiterRegistry waiters_;
  StopWaves stop_waves_;
  std::vector<std::unique_ptr<Instance>> retiring_;
  std::unique_ptr<DeadlineTimer> sweep_timer_;
  std::mt19937_64 random_;
  SlotNumbers slots_;  // status segment slots
  std::uint64_t next_page_ = 0;
  bool settling_ = false;
  bool settle_again_ = false;
  ShutdownState shutdown_;
  std::function<void()> on_shutdown_done_;
  bool main_program_ = false;
  std::optional<int> main_exit_code_;
};

}  // namespace sup::daemon
