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
struct InstanceUsage;
}
}  // namespace sup::daemon

namespace sup::daemon::control {

// `usage` gives cpu_s, cpu_pct, rss_bytes, fds and threads (SPEC §9.2, read off the loop
// before the reply is written); nullptr writes them null (no live process, or a request with
// "resources": false).
void WriteInstanceStatus(protocol::JsonWriter& writer, const Instance& instance, TimePoint now,
                         const resources::InstanceUsage* usage);

}  // namespace sup::daemon::control
