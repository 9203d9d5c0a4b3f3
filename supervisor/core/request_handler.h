// Commands: the control protocol's verbs (docs/protocol.md) on top of the Supervisor's API.
// Decodes and validates each request's args, calls the Supervisor, renders the reply.
// Loop thread only. The server has already checked permissions and answered `version`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/call.h"
#include "control/event_bus.h"
#include "control/log_stream.h"
#include "core/instance_usage_reads.h"
#include "core/supervisor.h"

namespace sup::daemon {

// What the daemon provides beyond the Supervisor: its own figures, reload and shutdown.
struct DaemonHooks {
  std::function<nlohmann::json()> supd_status;  // {"pid","version","uptime_s","rss_bytes","cpu_s"}
  std::function<void(std::shared_ptr<control::Call>, const nlohmann::json& args)> reload;
  std::function<void()> shutdown;
  std::string shm_name;
};

class Commands final : public control::CommandHandler {
 public:
  // `events` and `logs` observe `supervisor`: they serve the `events` and `logs` streams.
  Commands(Supervisor& supervisor, control::EventBus& events, control::LogStreams& logs,
           DaemonHooks hooks);

  void Handle(const std::string& cmd, const nlohmann::json& args,
              std::shared_ptr<control::Call> call) override;

 private:
  void Status(const nlohmann::json& args, std::shared_ptr<control::Call> call);
  std::string StatusText(const std::vector<Instance*>& selected, const UsageReadings& usage);
  void Pid(const nlohmann::json& args, control::Call& call);
  void Lifecycle(const std::string& cmd, const nlohmann::json& args,
                 std::shared_ptr<control::Call> call);
  void Signal(const nlohmann::json& args, control::Call& call);
  void Wait(const nlohmann::json& args, std::shared_ptr<control::Call> call);
  void Events(const nlohmann::json& args, std::shared_ptr<control::Call> call);

  Supervisor& supervisor_;
  control::EventBus& events_;
  control::LogStreams& logs_;
  DaemonHooks hooks_;
  // Tells a status whose reads finish on the loop whether this object still exists.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sup::daemon
