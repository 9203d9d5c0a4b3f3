#include "core/instance.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "notify/notify_listener.h"
#include "process/environment.h"
#include "resources/size_text.h"
#include "status/proc_stat.h"
#include "sup/conf/units.h"

namespace sup::daemon {
namespace {

std::chrono::milliseconds CeilMs(Clock::duration d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d);
  return ms.count() < 0 ? std::chrono::milliseconds(0) : ms;
}

}  // namespace

Instance::Instance(InstanceHost& host, ProgramSpecView spec, int index,
                   const conf::SupervisorSpec& supervisor)
    : host_(host),
      spec_(std::move(spec)),
      index_(index),
      instance_spec_(conf::ForInstance(*spec_, index, supervisor)),
      fsm_(spec_, [&host] { return host.UnitRandom(); }),
      timer_(host.runner().NewTimer()),
      output_(std::make_unique<output::InstanceOutput>(host.output_hub(), OutputSpec())),
      health_(spec_->health) {}

output::InstanceOutputSpec Instance::OutputSpec() const {
  return {spec_->name,       instance_spec_.name, index_, spec_->stdout_log,
          spec_->stderr_log, instance_spec_.stdout_file, instance_spec_.stderr_file};
}

Instance::~Instance() {
  if (pid() > 0) host_.runner().Unwatch(pid());
  if (pgid_ > 0) host_.runner().Unwatch(pgid_);
}

bool Instance::has_process() const {
  return fsm_.status().pid > 0 || fsm_.status().group_draining;
}

void Instance::Start() { Apply(fsm_.OnStart(Now())); }
void Instance::Stop() { Apply(fsm_.OnStop(Now())); }
void Instance::Restart() { Apply(fsm_.OnRestart(Now())); }
void Instance::DependenciesMet() { Apply(fsm_.OnDependenciesMet(Now())); }
void Instance::DependencyFailed(const std::string& reason) {
  Apply(fsm_.OnDependencyFailed(reason, Now()));
}
void Instance::Shutdown() { Apply(fsm_.OnShutdown(Now())); }
bool Instance::Owns(pid_t sender) const {
  return has_process() && SenderBelongs(sender, fsm_.status().pid, pgid_);
}

void Instance::AdoptMainPid(pid_t sender, pid_t main_pid) {
  // SPEC §6: only from the current main pid, and only naming a process in its group.
  const pid_t current = fsm_.status().pid;
  if (sender != current || main_pid == current || main_pid <= 0) return;
  if (::getpgid(main_pid) != pgid_) {
    spdlog::warn("{}: MAINPID={} ignored: not in the instance's process group", name(), main_pid);
    return;
  }
  host_.runner().Unwatch(current);  // its exit is now an orphan's, reaped and dropped
  host_.runner().Watch(main_pid, [this](ExitStatus status) { OnReaped(status); });
  fsm_.SetMainPid(main_pid);
  spdlog::info("{}: main pid is now {} (MAINPID)", name(), main_pid);
  host_.OnStatusChanged(*this);
}

void Instance::ApplyNotify(const NotifyMessage& m) {
  const TimePoint now = Now();
  notify_.Record(m);
  if (m.reloading) Apply(fsm_.OnReloading(now));
  if (m.ready) Apply(fsm_.OnReady(now));
  if (m.main_pid) AdoptMainPid(m.pid, *m.main_pid);
  if (m.extend_timeout_usec) Apply(fsm_.OnExtendTimeout(*m.extend_timeout_usec, now));
  if (m.watchdog_ping) Apply(fsm_.OnWatchdogPing(now));
  if (m.watchdog_trigger) Apply(fsm_.OnWatchdogTrigger(now));
}

bool Instance::SendSignal(int signal, bool to_group) {
  const pid_t pid = fsm_.status().pid;
  if (pid <= 0) return false;
  return static_cast<bool>(host_.runner().Kill(to_group ? pgid_ : pid, signal, to_group));
}

void Instance::ForceKill(std::string_view why) {
  if (!has_process()) return;
  spdlog::warn("{}: {}: SIGKILL to {} {}", name(), why,
               spec_->kill_group && pgid_ > 0 ? "process group" : "pid",
               spec_->kill_group && pgid_ > 0 ? pgid_ : fsm_.status().pid);
  if (spec_->kill_group && pgid_ > 0) (void)KillGroup(SIGKILL);
  if (fsm_.status().pid > 0) (void)host_.runner().Kill(fsm_.status().pid, SIGKILL, false);
}

void Instance::UpdateSpec(ProgramSpecView spec, const conf::SupervisorSpec& supervisor) {
  spec_ = std::move(spec);
  instance_spec_ = conf::ForInstance(*spec_, index_, supervisor);
  fsm_.UpdateSpec(spec_);
  health_.UpdateSpec(spec_->health);
  if (auto r = output_->Reconfigure(OutputSpec()); !r)
    spdlog::warn("{}: output: {}", name(), r.error().Message());
}

void Instance::CheckGroupDrained() {
  if (fsm_.status().group_draining && !GroupAlive()) Apply(fsm_.OnGroupEmpty(Now()));
}

bool Instance::GroupAlive() const {
  if (spec_->kill_group && cgroup_ && cgroup_->Populated()) return true;
  return host_.runner().GroupAlive(pgid_);
}

Result<void> Instance::KillGroup(int signal) {
  auto r = host_.runner().Kill(pgid_, signal, true);
  if (!spec_->kill_group || !cgroup_) return r;
  // Then the processes that left the group (setsid, double fork). SIGKILL goes to all at once
  // (cgroup.kill). Another signal waits for the main process's exit while it lives: most
  // programs take their descendants down with them, and then a stop reads one cgroup file
  // (cgroup.events, at the reap) rather than two: at 100 programs cgroup.procs cost 2 ms.
  if (signal != SIGKILL && fsm_.status().pid > 0) {
    signal_leavers_ = signal;
  } else {
    cgroup_->Signal(signal, pgid_);
  }
  return r;
}

void Instance::Apply(const Effects& effects) {
  for (const Effect& e : effects) {
    switch (e.kind) {
      case Effect::Kind::kCheckDependencies:
        host_.CheckDependencies(*this);
        break;
      case Effect::Kind::kSpawn:
        DoSpawn();
        break;
      case Effect::Kind::kKill: {
        // The group is named by its leader, the first pid (MAINPID= may have moved the main pid).
        const pid_t target = e.to_group || fsm_.status().pid <= 0 ? pgid_ : fsm_.status().pid;
        if (target <= 0) break;
        // The FSM escalates only when a stop_timeout expired (a stop, a failed start, a
        // watchdog, or a process group left behind by its main process): say so, since the
        // exit that follows ("killed by KILL") does not.
        if (e.signal == SIGKILL)
          spdlog::warn("{}: stop_timeout ({}) expired: SIGKILL to {} {}", name(),
                       FormatDuration(spec_->stop_timeout), e.to_group ? "process group" : "pid",
                       target);
        auto r = e.to_group ? KillGroup(e.signal) : host_.runner().Kill(target, e.signal, false);
        if (!r && r.error().sys != ESRCH)
          spdlog::warn("{}: kill {} {}: {}", name(), conf::SignalName(e.signal), target,
                       r.error().Message());
        break;
      }
      case Effect::Kind::kArmTimer:
        timer_->Start(CeilMs(e.delay), [this] { OnTimerFired(); });
        break;
      case Effect::Kind::kCancelTimer:
        timer_->Stop();
        break;
      case Effect::Kind::kPublish:
        host_.OnTransition(*this, e.from, e.to, e.reason);
        break;
      case Effect::Kind::kStatusChanged:
        host_.OnStatusChanged(*this);
        break;
      case Effect::Kind::kFatalShutdown:
        host_.OnFatalShutdown(*this, e.reason);
        break;
    }
  }
}

void Instance::DoSpawn() {
  if (!counters_) counters_ = host_.NewCounterPage();  // before the environment names it
  SpawnRequest request;
  request.argv = instance_spec_.argv;
  request.directory = instance_spec_.directory;
  request.env = host_.ChildEnvironment(*this);
  request.umask = spec_->umask;
  request.limits = spec_->limits;
  request.capture_output = true;
  request.merge_stderr = spec_->stderr_log.merge;
  if (auto opened = output_->OpenFiles(); !opened) {
    Apply(fsm_.OnSpawnFailed(opened.error().Message(), Now()));
    return;
  }
  request.watchdog_pid = spec_->watchdog.has_value();
  request.inherit_signals = spec_->from_command_line;
  if (!spec_->user.empty()) {
    auto user = LookupUser(spec_->user);
    if (!user) {
      Apply(fsm_.OnSpawnFailed(user.error().Message(), Now()));
      return;
    }
    request.uid = user->uid;
    request.gid = user->gid;
    request.user = user->name;
  }
  if (!spec_->group.empty()) {
    auto gid = LookupGroup(spec_->group);
    if (!gid) {
      Apply(fsm_.OnSpawnFailed(gid.error().Message(), Now()));
      return;
    }
    request.gid = *gid;
  }
  if (counters_) request.pass_fds.push_back({counters_->fd(), kCountersFd});
  UniqueFd cgroup_dir;  // open only until the child is in its cgroup
  if (const resources::CgroupTree* tree = host_.runner().cgroups()) {
    auto dir = OpenCgroup(*tree);
    if (!dir) {
      Apply(fsm_.OnSpawnFailed("cgroup: " + dir.error().Message(), Now()));
      return;
    }
    cgroup_dir = std::move(*dir);
    oom_kills_ = cgroup_->OomKills();
    request.cgroup_fd = cgroup_dir.get();
    request.cgroup = cgroup_->dir();
  }
  auto child = host_.runner().Spawn(request);
  if (!child) {
    spdlog::warn("{}: {}", name(), child.error().Message());
    Apply(fsm_.OnSpawnFailed(child.error().Message(), Now()));
    return;
  }
  if (pgid_ > 0) host_.runner().Unwatch(pgid_);
  pgid_ = child->pid;
  if (child->start_ticks != 0) {  // else StartTicks() reads /proc when the slot needs it
    ticks_pid_ = child->pid;
    ticks_ = child->start_ticks;
  }
  notify_.NewProcess();
  const int out = child->stdout_read ? child->stdout_read.release() : -1;
  const int err = child->stderr_read ? child->stderr_read.release() : -1;
  if (auto attached = output_->Attach(out, err); !attached)
    spdlog::error("{}: capture output: {}", name(), attached.error().Message());
  host_.runner().Watch(child->pid, [this](ExitStatus status) { OnReaped(status); });
  Apply(fsm_.OnSpawned(child->pid, Now()));
  if (fsm_.status().pid == child->pid) {
    StartHealthChecks();
    ArmMemoryCheck();
    // STARTING was published before the fork: republish so that `top` shows the new pid
    // (and its uptime) while the instance starts, not only once it is RUNNING.
    host_.OnStatusChanged(*this);
  }
}

void Instance::StartHealthChecks() {
  if (!health_.configured(spec_->health)) return;
  HealthTarget target;
  target.spec = spec_->health;
  target.exec_argv = instance_spec_.health_exec;
  target.tcp = instance_spec_.health_tcp;
  target.http = instance_spec_.health_http;
  target.exec_env = host_.ChildEnvironment(*this);
  target.exec_directory = instance_spec_.directory;
  health_.Start(host_.runner(), std::move(target),
                [this](HealthVerdict verdict, const std::string& detail) {
                  OnProbed(verdict, detail);
                });
}

Result<UniqueFd> Instance::OpenCgroup(const resources::CgroupTree& tree) {
  // Made at the first spawn and kept across restarts: a mkdir and an rmdir per restart cost
  // more than the rest of the cgroup's part of a spawn. A reload's new limits apply here.
  if (cgroup_) {
    auto applied = cgroup_->ApplyLimits(*spec_);
    auto dir = applied ? cgroup_->OpenDir() : Fail(applied.error());
    if (dir || dir.error().sys != ENOENT) return dir;
    cgroup_.reset();  // removed meanwhile (by an operator, or a retired namesake): made again
  }
  auto made = tree.Make(name(), *spec_);
  if (!made) return Fail(made.error());
  cgroup_ = std::move(*made);
  return cgroup_->OpenDir();
}

void Instance::OnProbed(HealthVerdict verdict, const std::string& detail) {
  switch (verdict) {
    case HealthVerdict::kHealthy:
      spdlog::info("{}: healthy ({})", name(), detail);
      Apply(fsm_.OnHealthy(Now()));
      break;
    case HealthVerdict::kUnhealthy:
      spdlog::warn("{}: unhealthy: {}", name(), detail);
      Apply(fsm_.OnUnhealthy(Now()));
      break;
    case HealthVerdict::kNone:
      break;
  }
  host_.Settle();
}

void Instance::OnReaped(ExitStatus status) {
  output_->DrainNow();  // every byte written before the exit is captured first
  health_.Stop();
  if (memory_timer_) memory_timer_->Stop();
  probe_.reset();  // its descriptors close once no read in flight holds it
  std::string reason;  // an OOM kill by the kernel enforcing memory_max (memory.events)
  if (cgroup_ && cgroup_->memory()) {
    const std::uint64_t kills = cgroup_->OomKills();
    if (kills > std::exchange(oom_kills_, kills))
      reason = MemoryLimitReason("OOM kill");
  }
  if (!reason.empty()) spdlog::warn("{}: {}", name(), reason);
  const bool group_alive = spec_->kill_group && GroupAlive();
  // The group's signal, held back for those that left the group (see KillGroup).
  if (group_alive && signal_leavers_ != 0 && cgroup_) cgroup_->Signal(signal_leavers_, pgid_);
  signal_leavers_ = 0;
  if (!spec_->kill_group && host_.runner().GroupAlive(pgid_))
    spdlog::info("{}: main process exited; its process group lives on (kill_group = false)",
                 name());
  Apply(fsm_.OnExited(status, Now(), group_alive, reason));
  host_.Settle();
}

void Instance::OnTimerFired() {
  // An agent heartbeat counts as a WATCHDOG=1 ping (SPEC §6 "Counters"). The page is read
  // only now, when the timer is due: supd never polls it. CLOCK_MONOTONIC is steady_clock.
  if (counters_ && spec_->watchdog && fsm_.status().pid > 0) {
    const std::uint64_t beat = counters_->HeartbeatNs();
    const TimePoint at{std::chrono::nanoseconds(beat)};
    if (beat > heartbeat_seen_ns_ && at >= fsm_.status().start_time && at <= Now()) {
      heartbeat_seen_ns_ = beat;
      Apply(fsm_.OnWatchdogPing(at));
    }
  }
  Apply(fsm_.OnTimer(Now()));
  host_.Settle();
}

void Instance::ArmMemoryCheck() {
  if (spec_->memory_max == 0 || (cgroup_ && cgroup_->memory())) return;  // off, or the kernel's
  if (!memory_timer_) memory_timer_ = host_.runner().NewTimer();
  memory_timer_->Start(std::chrono::duration_cast<std::chrono::milliseconds>(spec_->memory_check_interval),
                       [this] { OnMemoryCheck(); });
}

void Instance::OnMemoryCheck() {
  const auto probe = UsageProbe();
  if (!probe || spec_->memory_max == 0) return;
  // Read off the loop like a reply: this instance's processes only (its cgroup's members, or
  // its process group from a /proc scan without a cgroup).
  host_.runner().ReadUsage({probe}, [this, alive = std::weak_ptr<int>(alive_), probe](resources::Readings r) {
    if (alive.expired()) return;  // removed by a reload meanwhile
    OnMemorySample(probe.get(), r.at(0) ? std::optional<std::uint64_t>(r[0]->rss_bytes) : std::nullopt);
  });
}

void Instance::OnMemorySample(const ::sup::resources::ProcessProbe* probe, std::optional<std::uint64_t> used) {
  if (probe != probe_.get() || spec_->memory_max == 0) return;  // its process ended meanwhile
  if (used && *used > spec_->memory_max) {
    const std::string reason = MemoryLimitReason("used " + ::sup::resources::FormatBytes(*used));
    spdlog::warn("{}: {}: restarting", name(), reason);
    Apply(fsm_.OnMemoryExceeded(reason, Now()));
    host_.Settle();
    if (state() == State::kStopping) return;
  }
  ArmMemoryCheck();
}

std::string Instance::MemoryLimitReason(const std::string& how) const {
  return "memory limit " + ::sup::resources::FormatBytes(spec_->memory_max) + " exceeded (" + how + ")";
}

std::shared_ptr<::sup::resources::ProcessProbe> Instance::UsageProbe() const {
  const pid_t pid = fsm_.status().pid;
  if (pid <= 0) return nullptr;
  if (probe_ && probe_->target().pid == pid) return probe_;
  ::sup::resources::ProbeTarget target;
  target.pid = pid;
  target.pgid = pgid_;
  if (pid == pgid_) {  // the process supd spawned: its start time, else supd is its parent
    target.start_ticks = ticks_pid_ == pid ? ticks_ : 0;
    target.parent = ::getpid();
  }  // else a MAINPID= of its process group: the group tells
  const resources::CgroupTree* tree = host_.runner().cgroups();
  if (cgroup_ && tree != nullptr) {
    target.cgroup_dir = cgroup_->dir();
    // memory.current exists only where the memory controller is on: no failed open otherwise.
    target.cgroup_memory = tree->memory();
  }
  probe_ = std::make_shared<::sup::resources::ProcessProbe>(std::move(target), host_.runner().probe_budget());
  return probe_;
}

std::optional<resources::InstanceUsage> Instance::Usage(
    const ::sup::resources::ProcessProbe* probe, const std::optional<::sup::resources::ProbeReading>& reading) const {
  if (!reading || probe == nullptr || probe != probe_.get() || fsm_.status().pid <= 0) return std::nullopt;
  return resources::FromReading(*reading, cpu_baseline_, pgid_, Now(), fsm_.status().start_time);
}

std::chrono::system_clock::time_point Instance::WallTime(TimePoint t) {
  return std::chrono::system_clock::now() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - t);
}

std::vector<CounterValue> Instance::Counters() const {
  return counters_ ? counters_->Read() : std::vector<CounterValue>{};
}

std::uint64_t Instance::StartTicks() const {
  const pid_t pid = fsm_.status().pid;
  if (pid <= 0) return 0;
  if (pid != ticks_pid_) {
    ticks_pid_ = pid;
    ticks_ = ProcStartTicks(pid).value_or(0);
  }
  return ticks_;
}

// What `status` shows the instance waits for (SPEC §9.3): its dependencies ("db: ready"), its
// readiness ("READY=1"), or a health check that has started failing ("unhealthy 2/3":
// failures so far / `retries`). "" when it waits for nothing.
std::string Instance::WaitingFor() const {
  const InstanceStatus& s = fsm_.status();
  if (s.waiting_for_dependencies) return waiting_for_;
  if (s.pid <= 0 || (s.state != State::kStarting && s.state != State::kRunning)) return "";
  if (health_.probing() && health_.consecutive_failures() > 0)
    return "unhealthy " + std::to_string(health_.consecutive_failures()) + "/" +
           std::to_string(spec_->health.retries);
  if (s.ready) return "";
  switch (spec_->ready) {
    case conf::ReadyMode::kNotify: return "READY=1";
    case conf::ReadyMode::kHealth: return "a passing health check";
    case conf::ReadyMode::kStarted: return "";
  }
  return "";
}

}  // namespace sup::daemon
