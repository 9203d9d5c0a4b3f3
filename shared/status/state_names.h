// The words for an instance's state and health (enum sup_state, sup_health in
// sup/status_shm.h): the one table behind `supctl status`, `supctl top`, events and logs.
// lifecycle/state.h's StateName(State) and HealthName(Health) read it too. Header-only.
#pragma once

#include <cstdint>
#include <iterator>

namespace sup::daemon {

// "RUNNING", "unhealthy"...; "?" for a value outside the enum (the segment is input, too).
inline const char* StateName(std::uint32_t state) {
  static constexpr const char* kNames[] = {"STOPPED", "STARTING", "RUNNING", "BACKOFF",
                                           "STOPPING", "EXITED", "FATAL"};
  return state < std::size(kNames) ? kNames[state] : "?";
}

inline const char* HealthName(std::uint32_t health) {
  static constexpr const char* kNames[] = {"unknown", "healthy", "unhealthy"};
  return health < std::size(kNames) ? kNames[health] : "?";
}

}  // namespace sup::daemon
