#include "control/event_bus.h"

#include <algorithm>
#include <cmath>

#include "core/instance.h"
#include "output/line_format.h"
#include "sup/conf/units.h"

namespace sup::daemon::control {

void EventBus::Subscribe(std::shared_ptr<Call> call, std::set<std::string> names) {
  subscribers_.push_back({std::move(call), std::move(names)});
}

nlohmann::json EventBus::ExitJson(const ExitRecord& r) {
  const double run_s = std::chrono::duration<double>(r.run_length).count();
  return {{"at", output::FormatRfc3339(Instance::WallTime(r.at))},
          {"code", r.status.by_signal() ? nlohmann::json(nullptr) : nlohmann::json(r.status.code)},
          {"core_dumped", r.status.core_dumped},
          {"reason", r.reason},
          {"run_s", std::round(run_s * 1000) / 1000},
          {"signal", r.status.by_signal() ? nlohmann::json(conf::SignalName(r.status.signal))
                                          : nlohmann::json(nullptr)}};
}

void EventBus::OnInstanceEvent(const InstanceEvent& e) {
  DropClosed();
  // Built only for subscribers: two transitions per spawn, and a start-up spawns every program.
  if (subscribers_.empty()) return;
  const Instance& instance = e.instance;
  const pid_t pid = instance.fsm().status().pid;
  const nlohmann::json event = {
      {"time", output::FormatRfc3339(e.time)},
      {"name", instance.name()},
      {"program", instance.program()},
      {"instance", instance.index()},
      {"from", StateName(e.from)},
      {"to", StateName(e.to)},
      {"pid", pid > 0 ? nlohmann::json(pid) : nlohmann::json(nullptr)},
      {"reason", e.reason},
      {"exit", e.exit ? ExitJson(*e.exit) : nlohmann::json(nullptr)}};
  for (auto& s : subscribers_)
    if (s.names.empty() || s.names.count(instance.name()) || s.names.count(instance.program()))
      s.call->Emit(event);
}

void EventBus::OnReloadApplied(const conf::ReloadPlan& plan) {
  PublishGlobal({{"event", "reload"},
                 {"added", plan.added},
                 {"removed", plan.removed},
                 {"untouched", plan.untouched}});
}

void EventBus::OnShutdownBegan(const std::string& reason) {
  PublishGlobal({{"event", "shutdown"}, {"reason", reason}});
}

void EventBus::PublishGlobal(const nlohmann::json& event) {
  DropClosed();
  for (auto& s : subscribers_) s.call->Emit(event);
}

void EventBus::EndAll() {
  for (auto& s : subscribers_)
    if (s.call->open()) s.call->End();
  subscribers_.clear();
}

void EventBus::DropClosed() {
  std::erase_if(subscribers_, [](const Subscriber& s) { return !s.call->open(); });
}

}  // namespace sup::daemon::control
