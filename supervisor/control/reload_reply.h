// The control socket's side of `reload` (SPEC §6): the plan as the protocol shows it, with the
// start outcomes under "instances", or the refusal as an error reply. Compiled into
// sup_daemon (it renders core/ values); loop thread only.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "control/call.h"
#include "core/reload_result.h"

namespace sup::daemon::control {

// {"added","removed","restarted":[{"name","keys"}],"updated":[…],"untouched","not_applied"}
nlohmann::json ReloadPlanJson(const conf::ReloadPlan& plan);

std::shared_ptr<ReloadReceiver> ReloadReply(std::shared_ptr<Call> call);

}  // namespace sup::daemon::control
