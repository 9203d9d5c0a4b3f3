// Fans state-change events out to `events` subscribers (SPEC §6). A subscriber is a stream
// Call plus an optional program/instance filter; it is dropped when its call closes.
// Loop thread only. Sending never blocks: the control server bounds each client's buffer.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/call.h"

namespace sup::daemon {

class EventBus {
 public:
  // `names`: instance names ("web:0") and program names to keep; empty = everything.
  void Subscribe(std::shared_ptr<control::Call> call, std::set<std::string> names);

  // An instance event {"time","name","program","instance","from","to","pid","reason","exit"}.
  void PublishInstance(const nlohmann::json& event);
  // A daemon-wide event ({"event":"reload",…}, {"event":"shutdown"}): every subscriber.
  void PublishGlobal(const nlohmann::json& event);
  // Ends every stream (at the very end of a shutdown).
  void EndAll();

  size_t subscribers() const { return subscribers_.size(); }

 private:
  struct Subscriber {
    std::shared_ptr<control::Call> call;
    std::set<std::string> names;
  };
  void DropClosed();

  std::vector<Subscriber> subscribers_;
};

}  // namespace sup::daemon
