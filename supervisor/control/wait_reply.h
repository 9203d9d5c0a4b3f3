// The control socket's side of a waiting request (SPEC §6 start/stop/restart --wait, `wait`):
// each WaitResult becomes one stream line {"name","outcome","state","message","killed"}, the
// first one also carrying the request's warning; the end of the wait ends the stream.
// Compiled into sup_daemon (it renders core/ values); loop thread only.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "control/call.h"
#include "core/wait_result.h"

namespace sup::daemon::control {

// One result as the protocol writes it.
nlohmann::json WaitResultJson(const WaitResult& result);

// A WaitSink that streams to `call`; `warning` ("" = none) rides on the first line.
std::shared_ptr<WaitSink> WaitReply(std::shared_ptr<Call> call, std::string warning = "");

}  // namespace sup::daemon::control
