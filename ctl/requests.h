// Turns an Invocation into the protocol request it sends (SPEC §6's table). Pure, so the
// mapping from flags to wire arguments is unit-tested without a daemon.
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "ctl/cli.h"

namespace sup::ctl {

struct WireRequest {
  std::string cmd;
  nlohmann::json args;
  bool stream = false;  // replies come as items then an end line
};

// A usage error (bad duration, …) as a message for stderr; exit 2.
struct UsageError {
  std::string message;
};

std::variant<WireRequest, UsageError> BuildRequest(const Invocation& inv);

}  // namespace sup::ctl
