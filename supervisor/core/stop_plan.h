// Which programs of a stop set may receive their stop signal now (SPEC §4 "Stopping"): a
// program is released once every program that depends on it, directly or not, and is being
// stopped with it, is gone. Pure: the caller says who is still alive.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/dependency_graph.h"
#include "sup/conf/config.h"

namespace sup::daemon {

// The programs of `stopping` that are alive, not yet signalled, and have no transitive
// dependant that is both in `stopping` and alive. Ordered by descending priority number
// (what started last is signalled first within one wave), then by name.
std::vector<std::string> ReleasableForStop(const DependencyGraph& graph,
                                           const conf::Config& config,
                                           const std::set<std::string>& stopping,
                                           const std::set<std::string>& alive,
                                           const std::set<std::string>& signalled);

}  // namespace sup::daemon
