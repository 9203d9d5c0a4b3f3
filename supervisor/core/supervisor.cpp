#include "core/supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/exit_codes.h"
#include "core/selector.h"
#include "process/fd_table.h"
#include "process/environment.h"
#include "status/instance_slot.h"
#include "status/status_segment.h"

namespace sup::daemon {
namespace {

bool Alive(const Instance* i) { return i->has_process(); }

std::string ConditionName(conf::DependencyCondition c) {
  switch (c) {
    case conf::DependencyCondition::kStarted: return "started";
    case conf::DependencyCondition::kReady: return "ready";
    case conf::DependencyCondition::kCompleted: return "completed";
  }
  return "ready";
}

// The exit a transition follows from, if any (SPEC §6 `events` "exit").
const ExitRecord* ExitOf(const InstanceStatus& s, State to) {
  if (s.exits.empty() || s.exits.last().at < s.start_time) return nullptr;
  const bool after_exit =
      to == State::kExited || to == State::kBackoff || to == State::kStopped || to == State::kFatal;
  return after_exit ? &s.exits.last() : nullptr;
}

}  // namespace

Supervisor::Supervisor(SupervisorServices services, std::shared_ptr<const conf::Config> config)
    : services_(std::move(services)),
      config_(std::move(config)),
      graph_(*config_),
      waiters_(*services_.runner),
      random_(std::random_device{}()) {
  for (const auto& spec : config_->programs) programs_.push_back(MakeProgram(spec));
  IndexPrograms();
  SetProbeBudget();
}

void Supervisor::SetProbeBudget() {
  // The accounting probes hold only what the programs can never need (process/fd_table.h).
  if (const auto budget = runner().probe_budget())
    budget->set_limit(static_cast<std::ptrdiff_t>(SpareFds(FdsFor(*config_))));
}

Supervisor::~Supervisor() = default;

Supervisor::ProgramEntry Supervisor::MakeProgram(const conf::ProgramSpec& spec) {
  ProgramEntry entry{ViewOf(spec), {}};
  for (int i = 0; i < spec.instances; ++i) entry.instances.push_back(MakeInstance(entry.spec, i));
  return entry;
}

std::unique_ptr<Instance> Supervisor::MakeInstance(const ProgramSpecView& spec, int index) {
  auto instance = std::make_unique<Instance>(*this, spec, index, config_->supervisor);
  instance->set_slot(slots_.Take());
  Publish(*instance);
  instance->output().SetObserver(
      [this](const std::string& name, output::Stream stream,
             std::chrono::system_clock::time_point time, std::string_view line) {
        for (auto* o : observers_) o->OnOutputLine(name, stream, time, line);
      },
      [this](const std::string& name) {
        return std::any_of(observers_.begin(), observers_.end(),
                           [&](const SupervisorObserver* o) { return o->FollowsOutput(name); });
      });
  return instance;
}

void Supervisor::AddObserver(SupervisorObserver* observer) { observers_.push_back(observer); }

void Supervisor::RemoveObserver(SupervisorObserver* observer) { std::erase(observers_, observer); }

void Supervisor::Publish(Instance& instance) {
  if (!services_.status) return;
  if (auto r = services_.status->Publish(instance.slot(), InstanceSlot(instance)); !r)
    spdlog::warn("status segment: {}", r.error().Message());
}

std::unique_ptr<CounterPage> Supervisor::NewCounterPage() {
  // Named after the segment supd really has: status_shm and shm_mode are not applied by a
  // reload, so config_ may name others since.
  const StatusSegment* segment = services_.status;
  const std::string name = CounterPageName(segment ? segment->name() : "", getpid(), next_page_++);
  auto page = CounterPage::Create(name, segment ? segment->mode() : config_->supervisor.shm_mode);
  if (!page) {
    spdlog::warn("counter page {}: {}", name, page.error().Message());
    return nullptr;
  }
  return std::move(*page);
}

double Supervisor::UnitRandom() { return std::uniform_real_distribution<double>(0, 1)(random_); }

Supervisor::ProgramEntry* Supervisor::FindProgram(const std::string& name) {
  auto it = program_index_.find(name);
  return it == program_index_.end() ? nullptr : &programs_[it->second];
}

void Supervisor::IndexPrograms() {
  program_index_.clear();
  for (std::size_t k = 0; k < programs_.size(); ++k) program_index_[programs_[k].spec->name] = k;
}

std::vector<Instance*> Supervisor::AllInstances() {
  std::vector<Instance*> out;
  for (auto& p : programs_)
    for (auto& i : p.instances) out.push_back(i.get());
  return out;
}

Result<std::vector<Instance*>> Supervisor::Select(const std::vector<std::string>& selectors) {
  auto refs = ResolveSelectors(selectors, *config_);
  if (!refs) return Fail(refs.error());
  std::vector<Instance*> out;
  for (const auto& ref : *refs)
    if (auto* p = FindProgram(ref.program); p && ref.index < static_cast<int>(p->instances.size()))
      out.push_back(p->instances[ref.index].get());
  return out;
}

void Supervisor::StartAutostart() {
  std::vector<ProgramEntry*> order;
  for (auto& p : programs_)
    if (p.spec->autostart) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->spec->priority < b->spec->priority;
  });
  for (auto* p : order)
    for (auto& i : p->instances) i->Start();
  Settle();
}

void Supervisor::StartDependenciesOf(const std::string& program, std::set<std::string>& seen) {
  auto* entry = FindProgram(program);
  if (!entry) return;
  for (const auto& dep : entry->spec->depends_on) {
    if (!seen.insert(dep.program).second) continue;
    StartDependenciesOf(dep.program, seen);
    if (auto* d = FindProgram(dep.program))
      for (auto& i : d->instances)
        if (!i->fsm().status().wanted_up) i->Start();
  }
}

void Supervisor::Start(const std::vector<Instance*>& instances) {
  std::set<std::string> seen;
  for (auto* i : instances) StartDependenciesOf(i->program(), seen);
  for (auto* i : instances) {
    i->Start();
    MarkChanged(*i);  // `wanted_up` may change without a transition
  }
  Settle();
}

void Supervisor::Stop(const std::vector<Instance*>& instances) {
  for (auto* i : instances) MarkChanged(*i);
  stop_waves_.Add(instances);
  Settle();
}

void Supervisor::Restart(const std::vector<Instance*>& instances, bool with_dependants) {
  std::vector<Instance*> all = instances;
  if (with_dependants) {
    for (auto* i : instances)
      for (const auto& name : graph_.Dependants(i->program()))
        if (auto* p = FindProgram(name))
          for (auto& d : p->instances)
            if (std::find(all.begin(), all.end(), d.get()) == all.end()) all.push_back(d.get());
  }
  for (auto* i : all) {
    i->Restart();
    MarkChanged(*i);
  }
  Settle();
}

std::string Supervisor::RunningDependants(const std::vector<Instance*>& instances) {
  std::set<std::string> selected_programs, names;
  for (auto* i : instances) selected_programs.insert(i->program());
  for (const auto& program : selected_programs)
    for (const auto& dependant : graph_.Dependants(program)) {
      if (selected_programs.count(dependant)) continue;
      if (auto* p = FindProgram(dependant))
        for (auto& d : p->instances)
          if (Alive(d.get())) names.insert(d->name());
    }
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

std::vector<std::string> Supervisor::ChildEnvironment(const Instance& instance) {
  const auto& spec = instance.spec();
  std::optional<UserEntry> user;
  if (!spec.user.empty())
    if (auto u = LookupUser(spec.user)) user = *u;
  SupVariables sup;
  sup.program = spec.name;
  sup.instance = std::to_string(instance.index());
  sup.socket = services_.control_socket;
  sup.notify_socket = services_.notify_socket;
  if (instance.has_counters()) sup.counters_fd = Instance::kCountersFd;
  if (spec.watchdog)
    sup.watchdog = std::chrono::duration_cast<std::chrono::microseconds>(*spec.watchdog);
  return BuildEnvironment(services_.startup_env, spec.clear_env, user ? &*user : nullptr,
                          instance.instance_spec().environment, sup);
}

void Supervisor::CheckDependencies(Instance& instance) {
  MarkChanged(instance);
  settle_again_ = true;
}

bool Supervisor::DependencyHolds(const conf::Dependency& dep, std::string& failure) {
  auto* entry = FindProgram(dep.program);
  if (!entry) return true;  // the loader rejects unknown dependencies
  bool holds = true;
  for (auto& i : entry->instances) {
    const InstanceFsm& f = i->fsm();
    const State s = f.state();
    if (s == State::kFatal) {
      failure = "dependency " + dep.program + " failed: " + f.status().error;
      return false;
    }
    if (s == State::kExited && f.failed() &&
        (dep.condition != conf::DependencyCondition::kStarted)) {
      failure = "dependency " + dep.program + " failed: " + f.status().exits.last().status.Brief();
      return false;
    }
    switch (dep.condition) {
      case conf::DependencyCondition::kStarted:
        holds &= f.status().pid > 0 || s == State::kRunning || s == State::kExited;
        break;
      case conf::DependencyCondition::kReady:
        holds &= f.status().ready && (s == State::kRunning || s == State::kExited);
        break;
      case conf::DependencyCondition::kCompleted:
        holds &= f.completed();
        break;
    }
  }
  return holds;
}

void Supervisor::PumpDependencies() {
  std::vector<Instance*> waiting;
  for (auto& p : programs_)  // not AllInstances(): this runs at every settle, copying n pointers
    for (auto& i : p.instances)
      if (i->fsm().status().waiting_for_dependencies) waiting.push_back(i.get());
  std::stable_sort(waiting.begin(), waiting.end(), [](auto* a, auto* b) {
    return a->spec().priority < b->spec().priority;
  });
  for (auto* i : waiting) {
    if (!i->fsm().status().waiting_for_dependencies) continue;
    std::string failure, waiting_for;
    bool all = true;
    for (const auto& dep : i->spec().depends_on) {
      if (DependencyHolds(dep, failure)) continue;
      if (!failure.empty()) break;
      all = false;
      waiting_for += (waiting_for.empty() ? "" : ", ") + dep.program + ": " +
                     ConditionName(dep.condition);
    }
    if (!failure.empty()) {
      i->DependencyFailed(failure);
    } else if (all) {
      i->set_waiting_for("");
      i->DependenciesMet();
    } else if (waiting_for != i->waiting_for()) {
      i->set_waiting_for(waiting_for);
    }
  }
}

void Supervisor::Settle() {
  if (settling_) {
    settle_again_ = true;
    return;
  }
  settling_ = true;
  int rounds = 0;
  do {
    settle_again_ = false;
    PumpDependencies();
    stop_waves_.Pump(graph_, *config_);
  } while (settle_again_ && ++rounds < 1000);
  waiters_.EvaluateChanged();
  if (std::any_of(retiring_.begin(), retiring_.end(), [](auto& i) { return !Alive(i.get()); }))
    sweep_timer_->Start(std::chrono::milliseconds(0), [this] { Sweep(); });
  settling_ = false;
  CheckShutdownDone();
}

void Supervisor::OnTransition(Instance& instance, State from, State to,
                              const std::string& reason) {
  const auto& s = instance.fsm().status();
  if (to == State::kFatal || (to == State::kExited && instance.fsm().failed()))
    spdlog::warn("{}: {} -> {}: {}", instance.name(), StateName(from), StateName(to), reason);
  else
    spdlog::info("{}: {} -> {}{}{}", instance.name(), StateName(from), StateName(to),
                 reason.empty() ? "" : ": ", reason);
  MarkChanged(instance);
  if (!observers_.empty()) {
    const InstanceEvent event{std::chrono::system_clock::now(), instance, from, to, reason,
                              ExitOf(s, to)};
    for (auto* o : observers_) o->OnInstanceEvent(event);
  }
  Publish(instance);
  // `supd -c FILE -- CMD`: main's status is supd's, also when a shutdown stopped it.
  if (main_program_ && instance.program() == "main" && !s.exits.empty() &&
      (to == State::kExited || to == State::kStopped) && s.exits.last().at >= s.start_time) {
    const ExitStatus& e = s.exits.last().status;
    main_exit_code_ = e.by_signal() ? kExitSignalBase + e.signal : e.code;
    if (!shutdown_.begun()) BeginShutdown("main exited");
  }
  settle_again_ = true;
}

void Supervisor::OnStatusChanged(Instance& instance) {
  MarkChanged(instance);
  Publish(instance);
  settle_again_ = true;
}

bool Supervisor::OnNotify(const NotifyMessage& message) {
  Instance* owner = nullptr;
  for (auto* i : AllInstances())  // O(instances): datagrams are rare next to everything else
    if (i->pid() == message.pid) owner = i;
  if (!owner)
    for (auto* i : AllInstances())
      if (i->Owns(message.pid)) owner = i;
  if (!owner) return false;
  owner->ApplyNotify(message);
  Settle();
  return true;
}

void Supervisor::OnOrphanReaped() {
  for (auto* i : AllInstances()) i->CheckGroupDrained();
  for (auto& i : retiring_) i->CheckGroupDrained();
  Settle();
}

}  // namespace sup::daemon
