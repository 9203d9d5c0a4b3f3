// `events` (SPEC §6): renders the Supervisor's typed events as the protocol's stream lines and
// fans them out to subscribers. A subscriber is a stream Call plus an optional program/instance
// filter; it is dropped when its call closes. Compiled into sup_daemon; loop thread only.
// Sending never blocks: the control server bounds each client's buffer.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/call.h"
#include "core/supervisor_observer.h"

namespace sup::daemon::control {

class EventBus final : public SupervisorObserver {
 public:
  // `names`: instance names ("web:0") and program names to keep; empty = everything.
  void Subscribe(std::shared_ptr<Call> call, std::set<std::string> names);
  // Ends every stream (at the very end of a shutdown).
  void EndAll();
  size_t subscribers() const { return subscribers_.size(); }

  // {"time","name","program","instance","from","to","pid","reason","exit"}
  void OnInstanceEvent(const InstanceEvent& event) override;
  // {"event":"reload","added","removed","untouched"}
  void OnReloadApplied(const conf::ReloadPlan& plan) override;
  // {"event":"shutdown","reason"}
  void OnShutdownBegan(const std::string& reason) override;

  // An exit record as `events` and `status` show it (SPEC §6).
  static nlohmann::json ExitJson(const ExitRecord& exit);

 private:
  struct Subscriber {
    std::shared_ptr<Call> call;
    std::set<std::string> names;
  };
  // A daemon-wide event: every subscriber.
  void PublishGlobal(const nlohmann::json& event);
  void DropClosed();

  std::vector<Subscriber> subscribers_;
};

}  // namespace sup::daemon::control
