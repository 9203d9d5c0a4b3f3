// Effect: one thing the lifecycle FSM asks its driver (core/Instance) to do. A small value
// type: the FSM returns them in execution order, tests compare them with ==.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "lifecycle/state.h"

namespace sup::daemon {

struct Effect {
  enum class Kind {
    kCheckDependencies,  // evaluate depends_on now or later: answer OnDependenciesMet/Failed
    kSpawn,              // fork/exec now: answer OnSpawned or OnSpawnFailed
    kKill,               // signal -> the process group (to_group) or the main pid only
    kArmTimer,           // (re)arm the instance's one timer: fire OnTimer after `delay`
    kCancelTimer,        // disarm it
    kPublish,            // a state transition happened: status, events, log (one per transition)
    kStatusChanged,      // ready or health changed without a transition: publish a status event
    kFatalShutdown,      // on_fatal = "shutdown" fired: begin supd's shutdown, exit code 3
  };

  Kind kind = Kind::kPublish;
  int signal = 0;             // kKill
  bool to_group = false;      // kKill
  Clock::duration delay{};    // kArmTimer; the driver rounds up to its timer's resolution
  State from = State::kStopped;  // kPublish
  State to = State::kStopped;    // kPublish
  std::string reason;         // kPublish, kFatalShutdown: "exited with code 1"

  bool operator==(const Effect&) const = default;
};
using Effects = std::vector<Effect>;

// The factories live in their own namespace: Spawn, Kill and Publish are also the names of
// OS calls and methods (Spawner::Spawn, process/Kill, StatusSegment::Publish).
namespace effect {

Effect CheckDependencies();
Effect Spawn();
Effect Kill(int signal, bool to_group);
Effect ArmTimer(Clock::duration delay);
Effect CancelTimer();
Effect Publish(State from, State to, std::string reason);
Effect StatusChanged();
Effect FatalShutdown(std::string reason);

}  // namespace effect

std::ostream& operator<<(std::ostream& out, const Effect& effect);  // for test failure output

}  // namespace sup::daemon
