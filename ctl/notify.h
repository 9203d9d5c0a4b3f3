// The sending side of sd_notify for `supctl notify` (SPEC §5, §6): one datagram to
// $NOTIFY_SOCKET (a path, or '@name' for the abstract namespace), then optionally
// BARRIER=1 carrying a pipe's write end, waiting until the receiver has closed its copy.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sup/base/result.h"

namespace sup::ctl {

// `assignments` are KEY=VALUE lines. With `barrier`, returns once supd has read the
// message (the pipe's read end sees EOF) or fails after `timeout`.
Result<void> SendNotify(const std::string& socket, const std::vector<std::string>& assignments,
                        bool barrier, std::chrono::milliseconds timeout);

}  // namespace sup::ctl
