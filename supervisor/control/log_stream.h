// `supctl logs`: the last N lines of the selected instances' rings (both streams merged in
// time order), and with `follow` every new line as it is captured, until the client cancels.
// Followers are fed as a SupervisorObserver of the instances' captured lines; sending never
// blocks the loop. Compiled into sup_daemon; loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/call.h"
#include "core/supervisor_observer.h"
#include "output/log_sink.h"

namespace sup::daemon {
class Instance;
}

namespace sup::daemon::control {

class LogStreams final : public SupervisorObserver {
 public:
  // args: {"lines":50,"follow":false,"stream":"both"|"stdout"|"stderr"}. Throws
  // std::invalid_argument with a message for bad args (answered as bad_request).
  void Serve(std::shared_ptr<Call> call, const nlohmann::json& args,
             const std::vector<Instance*>& instances);

  // Whether a live follower wants `instance`'s lines.
  bool FollowsOutput(const std::string& instance) const override;
  // An instance captured a line.
  void OnOutputLine(const std::string& instance, output::Stream stream,
                    std::chrono::system_clock::time_point time, std::string_view line) override;

 private:
  struct Follower {
    std::shared_ptr<Call> call;
    std::set<std::string> names;
    std::optional<output::Stream> only;
  };
  std::vector<Follower> followers_;
};

}  // namespace sup::daemon::control
