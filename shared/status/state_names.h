// The words for an instance's state and health (enum sup_state, sup_health in
// sup/status_shm.h): the one table behind `supctl status`, `supctl top`, events, logs and
// /metrics' state and health labels. lifecycle/state.h's StateName(State) and
// HealthName(Health) read it too. Header-only.
#pragma once

#include <cstdint>
#include <iterator>

#include "sup/status_shm.h"

namespace sup::daemon {

// In enum order: kStateNames[SUP_STATE_RUNNING] is "RUNNING".
inline constexpr const char* kStateNames[] = {"STOPPED", "STARTING", "RUNNING", "BACKOFF",
                                              "STOPPING", "EXITED", "FATAL"};
inline constexpr const char* kHealthNames[] = {"unknown", "healthy", "unhealthy"};
static_assert(std::size(kStateNames) == SUP_STATE_FATAL + 1, "a word for every sup_state");
static_assert(std::size(kHealthNames) == SUP_HEALTH_UNHEALTHY + 1, "a word for every sup_health");

// "RUNNING", "unhealthy"...; "?" for a value outside the enum (the segment is input, too).
inline const char* StateName(std::uint32_t state) {
  return state < std::size(kStateNames) ? kStateNames[state] : "?";
}

inline const char* HealthName(std::uint32_t health) {
  return health < std::size(kHealthNames) ? kHealthNames[health] : "?";
}

}  // namespace sup::daemon
