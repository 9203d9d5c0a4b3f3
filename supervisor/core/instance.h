// Instance: drives one instance of a program. It performs the effects its InstanceFsm
// decides (spawn, kill, timer, publish) and feeds the FSM what the OS reports (spawned,
// reaped, timer fired, health verdicts, sd_notify). It decides nothing itself, and renders
// nothing: `status` is written by control/status_json.h, the status segment's slot by
// status/instance_slot.h. Loop thread only; owned by the
// Supervisor through a unique_ptr, so its address is stable for the callbacks it registers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/instance_health.h"
#include "core/instance_host.h"
#include "core/instance_notify.h"
#include "core/process_runner.h"
#include "lifecycle/instance_fsm.h"
#include "notify/notify_message.h"
#include "output/instance_output.h"
#include "resources/cgroup_tree.h"
#include "resources/instance_usage.h"
#include "status/counter_page.h"
#include "sup/conf/config.h"
#include "sup/conf/expand.h"

namespace sup::daemon {

class Instance {
 public:
  // The fd number of the counter page in every child ($SUP_COUNTERS_FD).
  static constexpr int kCountersFd = 3;

  // `spec` is a view into the config snapshot the Supervisor made this instance from.
  Instance(InstanceHost& host, ProgramSpecView spec, int index,
           const conf::SupervisorSpec& supervisor);
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance();

  const std::string& name() const { return instance_spec_.name; }
  const std::string& program() const { return spec_->name; }
  int index() const { return index_; }
  const conf::ProgramSpec& spec() const { return *spec_; }
  const conf::InstanceSpec& instance_spec() const { return instance_spec_; }
  const InstanceFsm& fsm() const { return fsm_; }
  State state() const { return fsm_.state(); }
  // A main process is alive, or its process group is still being drained.
  bool has_process() const;
  pid_t pid() const { return fsm_.status().pid; }

  // Operator commands and the supervisor's own decisions.
  void Start();
  void Stop();
  void Restart();
  void DependenciesMet();
  void DependencyFailed(const std::string& reason);
  void Shutdown();
  // Sends `signal` to the main process (or its group); false when nothing is running.
  bool SendSignal(int signal, bool to_group);
  // SIGKILL to the main process and, with kill_group, its group (shutdown's last resort).
  // SIGKILL now, logged with `why` ("shutdown_timeout (30s) expired").
  void ForceKill(std::string_view why);
  // Reload: keys that apply in place; the running process keeps its pid. From now on the
  // instance (and its FSM) read the new snapshot; the old one is released.
  void UpdateSpec(ProgramSpecView spec, const conf::SupervisorSpec& supervisor);
  // Reload left the program untouched: the same keys, read from the new snapshot from now on.
  void RebindSpec(const ProgramSpecView& spec) {
    spec_ = spec;
    fsm_.UpdateSpec(spec);
  }
  // The reaper reaped an orphan: if this instance is draining its group, see if it is empty.
  void CheckGroupDrained();

  // sd_notify inputs (SPEC §6 "sd_notify"); the sender was already checked to belong here.
  void ApplyNotify(const NotifyMessage& message);
  // Whether `sender` may speak for this instance: its main pid or a member of its group.
  bool Owns(pid_t sender) const;
  void AdoptMainPid(pid_t sender, pid_t main_pid);
  const NotifyAnnouncements& notify() const { return notify_; }
  const InstanceHealth& health() const { return health_; }

  output::InstanceOutput& output() { return *output_; }
  const output::InstanceOutput& output() const { return *output_; }

  void set_waiting_for(std::string text) { waiting_for_ = std::move(text); }
  const std::string& waiting_for() const { return waiting_for_; }  // dependencies only
  std::string WaitingFor() const;  // what `status` shows: dependencies, READY=1, "unhealthy 2/3"

  // Its index in the status segment.
  std::uint32_t slot() const { return slot_; }
  void set_slot(std::uint32_t slot) { slot_ = slot; }
  bool has_counters() const { return counters_ != nullptr; }
  const CounterPage* counter_page() const { return counters_.get(); }
  // The program's counters as its page holds them now (none before the first spawn).
  std::vector<CounterValue> Counters() const;
  // The main pid's start time in clock ticks (0 when unknown or none): with the pid, what a
  // next supd needs to recognise the process should this supd die (SPEC §9.1). Read from
  // /proc once per pid, when first asked.
  std::uint64_t StartTicks() const;

  // The probe of its main process (SPEC §9.2), made at the first ask and dropped when the
  // process ends; null without a live process. A reply reads it off the loop
  // (ProcessRunner::ReadUsage), then turns the reading into Usage on the loop thread.
  std::shared_ptr<::sup::resources::ProcessProbe> UsageProbe() const;
  const ::sup::resources::ProcessProbe* current_probe() const { return probe_.get(); }
  // What its processes use, from a reading of UsageProbe(); nullopt when `probe` is not its
  // probe any more (its process ended meanwhile) or read nothing. Moves cpu_pct's baseline.
  std::optional<resources::InstanceUsage> Usage(const ::sup::resources::ProcessProbe* probe,
                                                const std::optional<::sup::resources::ProbeReading>& reading) const;

  // The wall-clock time of a monotonic time point (exits are recorded monotonically).
  static std::chrono::system_clock::time_point WallTime(TimePoint t);

 private:
  output::InstanceOutputSpec OutputSpec() const;
  // Health checks run while a process is alive (SPEC §3 [program.X.health]).
  void StartHealthChecks();
  void OnProbed(HealthVerdict verdict, const std::string& detail);
  void Apply(const Effects& effects);
  void DoSpawn();
  // cgroup mode: the instance's cgroup (made at the first spawn, or again when it vanished),
  // its limits brought up to date, as an O_PATH descriptor for this spawn.
  Result<UniqueFd> OpenCgroup(const resources::CgroupTree& tree);
  void OnReaped(ExitStatus status);
  void OnTimerFired();
  // memory_max without a kernel to enforce it: sampled every memory_check_interval while a
  // process runs; the only timer an idle supd may run, and only for programs that set it.
  void ArmMemoryCheck();
  void OnMemoryCheck();
  void OnMemorySample(const ::sup::resources::ProcessProbe* probe, std::optional<std::uint64_t> used);
  // SPEC §9.2's reason: "memory limit 512MiB exceeded (used 530MiB)" (or "(OOM kill)").
  std::string MemoryLimitReason(const std::string& how) const;
  // Its process group is alive; in cgroup mode (with kill_group) its cgroup is populated,
  // which counts the processes that left the group (setsid, double fork).
  bool GroupAlive() const;
  // kill_group's signal: the process group and, in cgroup mode, every process of the cgroup
  // (SIGKILL at once; another signal once the main process has been reaped, if it lives).
  Result<void> KillGroup(int signal);
  TimePoint Now() const { return host_.runner().Now(); }

  InstanceHost& host_;
  ProgramSpecView spec_;  // shared with fsm_; keeps its config snapshot alive
  int index_;
  conf::InstanceSpec instance_spec_;  // spec_ expanded for this index (derived, not a copy)
  InstanceFsm fsm_;
  std::unique_ptr<DeadlineTimer> timer_;
  std::unique_ptr<output::InstanceOutput> output_;  // ring and files persist across restarts
  std::unique_ptr<CounterPage> counters_;  // made at the first spawn; kept across restarts
  std::uint64_t heartbeat_seen_ns_ = 0;    // the last agent heartbeat fed to the watchdog
  std::uint32_t slot_ = 0;                 // index in the status segment
  InstanceHealth health_;
  NotifyAnnouncements notify_;
  pid_t pgid_ = 0;  // the last spawned process group: kept while the group drains
  // StartTicks()'s cache: the pid it was read for.
  mutable pid_t ticks_pid_ = 0;
  mutable std::uint64_t ticks_ = 0;
  std::string waiting_for_;
  std::unique_ptr<resources::InstanceCgroup> cgroup_;  // cgroup mode: made at the first spawn, kept
  std::uint64_t oom_kills_ = 0;                         // memory.events' oom_kill seen so far
  int signal_leavers_ = 0;  // a group signal still owed to the cgroup's other processes
  std::unique_ptr<DeadlineTimer> memory_timer_;         // only with memory_max, unenforced
  mutable resources::CpuBaseline cpu_baseline_;
  mutable std::shared_ptr<::sup::resources::ProcessProbe> probe_;  // of the live main process
  // Tells a read finishing on the loop whether this instance still exists (reload removes).
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sup::daemon
