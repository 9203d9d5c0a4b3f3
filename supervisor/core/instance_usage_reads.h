// What a set of instances use (SPEC §9.2), for one reply (`status`, /metrics): their probes
// read off the loop (ProcessRunner::ReadUsage), then handed back by probe on the loop thread.
// The caller builds its reply from the instances there are then: one that restarted or went
// meanwhile has no reading of its current process, and shows none.
#pragma once

#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/instance.h"

namespace sup::daemon {

using UsageReadings =
    std::unordered_map<const ::sup::resources::ProcessProbe*, std::optional<::sup::resources::ProbeReading>>;

// Reads the probes of `instances` (those with a live process) and calls `done` on the loop
// thread: at once when none has one. `done` checks that whatever it captured still exists.
void ReadInstancesUsage(ProcessRunner& runner, const std::vector<Instance*>& instances,
                        std::function<void(const UsageReadings&)> done);

// `instance`'s figures from `readings`, when they hold a reading of its current process.
// Moves its cpu_pct baseline.
std::optional<resources::InstanceUsage> UsageOf(const Instance& instance, const UsageReadings& readings);

}  // namespace sup::daemon
