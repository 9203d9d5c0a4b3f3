#include "control/event_bus.h"

#include <algorithm>

namespace sup::daemon {

void EventBus::Subscribe(std::shared_ptr<control::Call> call, std::set<std::string> names) {
  subscribers_.push_back({std::move(call), std::move(names)});
}

void EventBus::PublishInstance(const nlohmann::json& event) {
  DropClosed();
  const std::string name = event.value("name", "");
  const std::string program = event.value("program", "");
  for (auto& s : subscribers_)
    if (s.names.empty() || s.names.count(name) || s.names.count(program)) s.call->Emit(event);
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

}  // namespace sup::daemon
