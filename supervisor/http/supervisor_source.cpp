#include "http/supervisor_source.h"

#include "core/supervisor.h"
#include "lifecycle/wait_rule.h"

namespace sup::daemon::http {
namespace {

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

InstanceSample Sample(const Instance& instance, TimePoint now,
                      const std::optional<resources::InstanceUsage>& usage) {
  const InstanceStatus& s = instance.fsm().status();
  InstanceSample sample;
  sample.program = instance.program();
  sample.index = instance.index();
  sample.state = StateName(s.state);
  sample.health = HealthName(s.health);
  sample.ready = s.ready;
  sample.wanted_up = s.wanted_up;
  if (s.pid > 0) sample.uptime_s = std::chrono::duration<double>(now - s.start_time).count();
  sample.restarts = static_cast<std::uint64_t>(s.restarts);
  if (!s.exits.empty()) {
    const ExitRecord& e = s.exits.last();
    sample.last_exit = ExitSample{e.status.by_signal() ? -1 : e.status.code, e.status.signal,
                                  UnixSeconds(Instance::WallTime(e.at)),
                                  std::chrono::duration<double>(e.run_length).count()};
  }
  sample.captured_bytes = instance.output().captured_bytes();
  sample.dropped_lines = instance.output().dropped_lines();
  sample.counters = instance.Counters();  // through supd's own fd on the page, named or not
  if (usage) {
    sample.cpu_s = usage->cpu_s;
    sample.memory_bytes = usage->rss_bytes;
  }
  return sample;
}

}  // namespace

SupervisorSource::SupervisorSource(Supervisor& supervisor,
                                   std::chrono::steady_clock::time_point started,
                                   std::function<DaemonFigures()> figures)
    : supervisor_(supervisor),
      started_wall_(std::chrono::system_clock::now() -
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        std::chrono::steady_clock::now() - started)),
      figures_(std::move(figures)) {}

void SupervisorSource::Snapshot(std::function<void(MetricsSnapshot)> done) {
  // What the instances use is read off the loop first; the rest is read when it is done.
  ReadInstancesUsage(supervisor_.runner(), supervisor_.AllInstances(),
                     [this, alive = std::weak_ptr<int>(alive_), done = std::move(done)](const UsageReadings& usage) {
                       if (!alive.expired()) done(Take(usage));
                     });
}

MetricsSnapshot SupervisorSource::Take(const UsageReadings& usage) {
  MetricsSnapshot snapshot;
  const TimePoint now = Clock::now();
  for (const Instance* i : supervisor_.AllInstances()) snapshot.instances.push_back(Sample(*i, now, UsageOf(*i, usage)));
  SupdSample& supd = snapshot.supd;
  supd.version = SUP_VERSION;
  supd.start_time_unix_s = UnixSeconds(started_wall_);
  if (figures_) {
    const DaemonFigures f = figures_();
    supd.control_clients = f.control_clients;
    supd.notify_rejected = f.notify_rejected;
    supd.forward_errors = f.forward_errors;
  }
  return snapshot;
}

std::vector<std::string> SupervisorSource::NotReady() {
  std::vector<std::string> out;
  // Its programs are being stopped (and so become wanted down): the deployment is going away.
  if (supervisor_.shutting_down()) out.push_back("supd is shutting down");
  const TimePoint now = Clock::now();
  for (const Instance* i : supervisor_.AllInstances()) {
    if (!i->fsm().status().wanted_up) continue;
    // kHealthy is SPEC's /readyz rule: ready (a one-shot: completed), and healthy if checked.
    const WaitVerdict v = EvaluateWait(i->fsm(), WaitTarget::kHealthy, now);
    if (v.outcome != WaitOutcome::kSatisfied) out.push_back(i->name() + " " + v.doing);
  }
  return out;
}

}  // namespace sup::daemon::http
