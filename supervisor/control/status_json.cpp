#include "control/status_json.h"

#include <algorithm>
#include <cmath>

#include "core/instance.h"
#include "output/line_format.h"
#include "sup/conf/units.h"

namespace sup::daemon::control {
namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Members in name order, as an nlohmann::json object would write them (EventBus::ExitJson
// renders the same record for `events`).
void WriteExit(protocol::JsonWriter& w, const ExitRecord& r) {
  w.BeginObject().Member("at", output::FormatRfc3339(Instance::WallTime(r.at)));
  if (r.status.by_signal()) w.Key("code").Null();
  else w.Member("code", r.status.code);
  w.Member("core_dumped", r.status.core_dumped)
      .Member("reason", r.reason)
      .Member("run_s", std::round(Seconds(r.run_length) * 1000) / 1000);
  if (r.status.by_signal()) w.Member("signal", conf::SignalName(r.status.signal));
  else w.Key("signal").Null();
  w.EndObject();
}

void WriteCounters(protocol::JsonWriter& w, const Instance& instance) {
  w.BeginObject();
  auto counters = instance.Counters();  // by name; of two with one name, the later one
  std::stable_sort(counters.begin(), counters.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < counters.size(); ++i) {
    const CounterValue& c = counters[i];
    if (i + 1 < counters.size() && counters[i + 1].name == c.name) continue;
    if (c.kind == SUP_COUNTER_KIND_GAUGE) w.Member(c.name, c.gauge());
    else w.Member(c.name, c.value);
  }
  w.EndObject();
}

}  // namespace

void WriteInstanceStatus(protocol::JsonWriter& w, const Instance& instance, TimePoint now,
                         const resources::InstanceUsage* usage) {
  const InstanceFsm& fsm = instance.fsm();
  const InstanceStatus& s = fsm.status();
  const output::InstanceOutput& output = instance.output();
  const NotifyAnnouncements& notify = instance.notify();
  const bool alive = s.pid > 0;
  // A figure of the usage, or null without one (no process, or not asked for).
  const auto figure = [&](const char* key, auto value) {
    if (usage) w.Member(key, value(*usage));
    else w.Key(key).Null();
  };
  using resources::InstanceUsage;
  w.BeginObject();
  w.Member("captured_bytes", output.captured_bytes())
      .Member("completed", fsm.completed())
      .Key("counters");
  WriteCounters(w, instance);
  figure("cpu_pct", [](const InstanceUsage& u) { return std::round(u.cpu_pct * 10) / 10; });
  figure("cpu_s", [](const InstanceUsage& u) { return std::round(u.cpu_s * 100) / 100; });
  w.Member("dropped_lines", output.dropped_lines());
  if (notify.error()) w.Member("errno", *notify.error());
  else w.Key("errno").Null();
  w.Member("error", s.error);
  w.Key("exits").BeginArray();
  const auto& records = s.exits.records();
  for (auto it = records.rbegin(); it != records.rend(); ++it) WriteExit(w, *it);
  w.EndArray();
  if (usage && usage->fds >= 0) w.Member("fds", usage->fds);
  else w.Key("fds").Null();
  w.Member("health", HealthName(s.health))
      .Member("health_detail", instance.health().detail())
      .Member("instance", instance.index())
      .Key("last_exit");
  if (s.exits.empty()) w.Null();
  else WriteExit(w, s.exits.last());
  w.Member("name", instance.name())
      .Member("notify_state", notify.state())
      .Member("output_error", output.error());
  if (alive) w.Member("pid", s.pid);
  else w.Key("pid").Null();
  w.Member("program", instance.program())
      .Member("ready", s.ready)
      .Member("restarts", s.restarts);
  figure("rss_bytes", [](const InstanceUsage& u) { return u.rss_bytes; });
  w.Member("state", StateName(s.state))
      .Member("status_text", notify.status_text());
  figure("threads", [](const InstanceUsage& u) { return u.threads; });
  w.Member("uptime_s", alive ? std::round(Seconds(now - s.start_time) * 10) / 10 : 0.0)
      .Member("waiting_for", instance.WaitingFor())
      .Member("wanted_up", s.wanted_up);
  w.EndObject();
}

}  // namespace sup::daemon::control
