// `status` (SPEC §6): one element of the reply's "instances" array, written straight to text
// (protocol::JsonWriter) with members in name order, as nlohmann::json wrote them before:
// this runs for every instance of every `status`, and building a document per instance was
// most of the reply's cost at 10 000 instances (BENCHMARKS.md scale10k). Compiled into
// sup_daemon (it reads core/'s Instance); loop thread only.
#pragma once

#include "lifecycle/state.h"
#include "protocol/json_writer.h"

namespace sup::daemon {
class Instance;
namespace resources {
class UsageReader;
}
}  // namespace sup::daemon

namespace sup::daemon::control {

// `usage` reads cpu_s, cpu_pct, rss_bytes, fds and threads (SPEC §9.2; one /proc pass for the
// whole reply); nullptr writes them null (a request with "resources": false).
void WriteInstanceStatus(protocol::JsonWriter& writer, const Instance& instance, TimePoint now,
                         resources::UsageReader* usage);

}  // namespace sup::daemon::control
