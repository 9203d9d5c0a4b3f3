#include "core/instance.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "notify/notify_listener.h"
#include "output/line_format.h"
#include "process/environment.h"
#include "protocol/json_writer.h"
#include "status/proc_stat.h"
#include "sup/conf/units.h"

namespace sup::daemon {
namespace {

std::chrono::milliseconds CeilMs(Clock::duration d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d);
  return ms.count() < 0 ? std::chrono::milliseconds(0) : ms;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Members in name order, as an nlohmann::json object would write them.
void WriteExit(protocol::JsonWriter& w, const ExitRecord& r) {
  w.BeginObject().Member("at", output::FormatRfc3339(Instance::WallTime(r.at)));
  if (r.status.by_signal()) w.Key("code").Null();
  else w.Member("code", r.status.code);
  w.Member("core_dumped", r.status.core_dumped)
      .Member("run_s", std::round(Seconds(r.run_length) * 1000) / 1000);
  if (r.status.by_signal()) w.Member("signal", conf::SignalName(r.status.signal));
  else w.Key("signal").Null();
  w.EndObject();
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
      health_counter_(spec_->health) {}

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
  if (m.status) status_text_ = *m.status;
  if (m.error) notify_errno_ = *m.error;
  if (m.stopping) notify_state_ = "stopping";
  if (m.reloading) {
    notify_state_ = "reloading";
    Apply(fsm_.OnReloading(now));
  }
  if (m.ready) {
    if (notify_state_ == "reloading") notify_state_.clear();
    Apply(fsm_.OnReady(now));
  }
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
  if (spec_->kill_group && pgid_ > 0) (void)host_.runner().Kill(pgid_, SIGKILL, true);
  if (fsm_.status().pid > 0) (void)host_.runner().Kill(fsm_.status().pid, SIGKILL, false);
}

void Instance::UpdateSpec(ProgramSpecView spec, const conf::SupervisorSpec& supervisor) {
  spec_ = std::move(spec);
  instance_spec_ = conf::ForInstance(*spec_, index_, supervisor);
  fsm_.UpdateSpec(spec_);
  if (health_ && spec_->health.kind == conf::HealthKind::kNone) StopHealthChecks();
  if (auto r = output_->Reconfigure(OutputSpec()); !r)
    spdlog::warn("{}: output: {}", name(), r.error().Message());
}

void Instance::CheckGroupDrained() {
  if (fsm_.status().group_draining && !host_.runner().GroupAlive(pgid_))
    Apply(fsm_.OnGroupEmpty(Now()));
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
        auto r = host_.runner().Kill(target, e.signal, e.to_group);
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
  auto child = host_.runner().Spawn(request);
  if (!child) {
    spdlog::warn("{}: {}", name(), child.error().Message());
    Apply(fsm_.OnSpawnFailed(child.error().Message(), Now()));
    return;
  }
  if (pgid_ > 0) host_.runner().Unwatch(pgid_);
  pgid_ = child->pid;
  notify_state_.clear();
  notify_errno_.reset();
  const int out = child->stdout_read ? child->stdout_read.release() : -1;
  const int err = child->stderr_read ? child->stderr_read.release() : -1;
  if (auto attached = output_->Attach(out, err); !attached)
    spdlog::error("{}: capture output: {}", name(), attached.error().Message());
  host_.runner().Watch(child->pid, [this](ExitStatus status) { OnReaped(status); });
  Apply(fsm_.OnSpawned(child->pid, Now()));
  if (fsm_.status().pid == child->pid) {
    StartHealthChecks();
    // STARTING was published before the fork: republish so that `top` shows the new pid
    // (and its uptime) while the instance starts, not only once it is RUNNING.
    host_.OnStatusChanged(*this);
  }
}

void Instance::StartHealthChecks() {
  if (spec_->health.kind == conf::HealthKind::kNone) return;
  HealthTarget target;
  target.spec = spec_->health;
  target.exec_argv = instance_spec_.health_exec;
  target.tcp = instance_spec_.health_tcp;
  target.http = instance_spec_.health_http;
  target.exec_env = host_.ChildEnvironment(*this);
  target.exec_directory = instance_spec_.directory;
  health_counter_.UpdateSpec(spec_->health);
  health_counter_.Start(Now());
  health_ = host_.runner().StartHealthChecks(
      std::move(target),
      [this](bool passed, const std::string& detail) { OnProbe(passed, detail); });
}

void Instance::StopHealthChecks() {
  if (health_) health_->Stop();
}

void Instance::OnProbe(bool passed, const std::string& detail) {
  health_detail_ = detail;
  switch (health_counter_.OnProbeResult(passed, Now())) {
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
  StopHealthChecks();
  const bool group_alive = spec_->kill_group && host_.runner().GroupAlive(pgid_);
  if (!spec_->kill_group && host_.runner().GroupAlive(pgid_))
    spdlog::info("{}: main process exited; its process group lives on (kill_group = false)",
                 name());
  Apply(fsm_.OnExited(status, Now(), group_alive));
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

std::chrono::system_clock::time_point Instance::WallTime(TimePoint t) {
  return std::chrono::system_clock::now() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - t);
}

std::vector<CounterValue> Instance::Counters() const {
  return counters_ ? counters_->Read() : std::vector<CounterValue>{};
}

void Instance::WriteCounters(protocol::JsonWriter& w) const {
  w.BeginObject();
  if (counters_) {
    auto counters = counters_->Read();  // by name; of two with one name, the later one
    std::stable_sort(counters.begin(), counters.end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
    for (std::size_t i = 0; i < counters.size(); ++i) {
      const CounterValue& c = counters[i];
      if (i + 1 < counters.size() && counters[i + 1].name == c.name) continue;
      if (c.kind == SUP_COUNTER_KIND_GAUGE) w.Member(c.name, c.gauge());
      else w.Member(c.name, c.value);
    }
  }
  w.EndObject();
}

SlotData Instance::Slot() const {
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  const InstanceStatus& s = fsm_.status();
  SlotData d;
  d.name = name();
  d.pid = s.pid;
  d.state = static_cast<sup_state>(s.state);  // both follow SPEC §4's order (static_assert below)
  d.ready = s.ready;
  d.health = static_cast<sup_health>(s.health);
  if (s.start_time != TimePoint{}) {
    d.start_mono_ns = duration_cast<nanoseconds>(s.start_time.time_since_epoch()).count();
    d.start_time_ns = duration_cast<nanoseconds>(WallTime(s.start_time).time_since_epoch()).count();
  }
  d.restarts = s.restarts;
  if (!s.exits.empty()) {
    const ExitRecord& e = s.exits.last();
    d.last_exit = SlotExit{e.status.by_signal() ? -1 : e.status.code, e.status.signal,
                           e.status.core_dumped,
                           static_cast<std::uint64_t>(
                               duration_cast<nanoseconds>(WallTime(e.at).time_since_epoch()).count()),
                           static_cast<std::uint64_t>(duration_cast<nanoseconds>(e.run_length).count())};
  }
  d.captured_bytes = output_->captured_bytes();
  d.dropped_lines = output_->dropped_lines();
  if (counters_) d.counter_page = counters_->name();
  // What the next supd needs to stop this process should this supd die (SPEC §9.1).
  if (s.pid > 0 && s.pid != ticks_pid_) {
    ticks_pid_ = s.pid;
    ticks_ = ProcStartTicks(s.pid).value_or(0);
  }
  if (s.pid > 0) d.pid_start_ticks = ticks_;
  d.stop_signal = spec_->stop_signal;
  d.kill_group = spec_->kill_group;
  d.stop_timeout_ms = static_cast<std::uint64_t>(spec_->stop_timeout.count());
  return d;
}

static_assert(static_cast<int>(State::kFatal) == SUP_STATE_FATAL &&
              static_cast<int>(State::kRunning) == SUP_STATE_RUNNING &&
              static_cast<int>(Health::kUnhealthy) == SUP_HEALTH_UNHEALTHY);

// What `status` shows the instance waits for (SPEC §9.3): its dependencies ("db: ready"), its
// readiness ("READY=1"), or a health check that has started failing ("unhealthy 2/3":
// failures so far / `retries`). "" when it waits for nothing.
std::string Instance::WaitingFor() const {
  const InstanceStatus& s = fsm_.status();
  if (s.waiting_for_dependencies) return waiting_for_;
  if (s.pid <= 0 || (s.state != State::kStarting && s.state != State::kRunning)) return "";
  if (health_ && health_counter_.consecutive_failures() > 0)
    return "unhealthy " + std::to_string(health_counter_.consecutive_failures()) + "/" +
           std::to_string(spec_->health.retries);
  if (s.ready) return "";
  switch (spec_->ready) {
    case conf::ReadyMode::kNotify: return "READY=1";
    case conf::ReadyMode::kHealth: return "a passing health check";
    case conf::ReadyMode::kStarted: return "";
  }
  return "";
}

// Written straight to text, members in name order (what nlohmann::json wrote before): this
// runs for every instance of every `status`, and building a document per instance was most
// of the reply's cost at 10 000 instances (BENCHMARKS.md scale10k).
void Instance::WriteStatus(protocol::JsonWriter& w, TimePoint now) const {
  const InstanceStatus& s = fsm_.status();
  const bool alive = s.pid > 0;
  w.BeginObject();
  w.Member("captured_bytes", output_->captured_bytes())
      .Member("completed", fsm_.completed())
      .Key("counters");
  WriteCounters(w);
  w.Member("dropped_lines", output_->dropped_lines());
  if (notify_errno_) w.Member("errno", *notify_errno_);
  else w.Key("errno").Null();
  w.Member("error", s.error);
  w.Key("exits").BeginArray();
  const auto& records = s.exits.records();
  for (auto it = records.rbegin(); it != records.rend(); ++it) WriteExit(w, *it);
  w.EndArray();
  w.Member("health", HealthName(s.health))
      .Member("health_detail", health_detail_)
      .Member("instance", index_)
      .Key("last_exit");
  if (s.exits.empty()) w.Null();
  else WriteExit(w, s.exits.last());
  w.Member("name", name()).Member("notify_state", notify_state_).Member("output_error",
                                                                          output_->error());
  if (alive) w.Member("pid", s.pid);
  else w.Key("pid").Null();
  w.Member("program", program())
      .Member("ready", s.ready)
      .Member("restarts", s.restarts)
      .Member("state", StateName(s.state))
      .Member("status_text", status_text_)
      .Member("uptime_s", alive ? std::round(Seconds(now - s.start_time) * 10) / 10 : 0.0)
      .Member("waiting_for", WaitingFor())
      .Member("wanted_up", s.wanted_up);
  w.EndObject();
}

nlohmann::json Instance::LastExitJson() const {
  const ExitHistory& exits = fsm_.status().exits;
  if (exits.empty()) return nullptr;
  std::string text;
  protocol::JsonWriter writer(text);
  WriteExit(writer, exits.last());
  return nlohmann::json::parse(text);
}

}  // namespace sup::daemon
