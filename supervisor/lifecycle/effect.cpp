// Constructors and test printing for Effect (effect.h).
#include "lifecycle/effect.h"

#include <ostream>

namespace sup::daemon {

namespace {
Effect Make(Effect::Kind kind) {
  Effect effect;
  effect.kind = kind;
  return effect;
}
}  // namespace

namespace effect {

Effect CheckDependencies() { return Make(Effect::Kind::kCheckDependencies); }
Effect Spawn() { return Make(Effect::Kind::kSpawn); }
Effect CancelTimer() { return Make(Effect::Kind::kCancelTimer); }
Effect StatusChanged() { return Make(Effect::Kind::kStatusChanged); }

Effect Kill(int signal, bool to_group) {
  Effect effect = Make(Effect::Kind::kKill);
  effect.signal = signal;
  effect.to_group = to_group;
  return effect;
}

Effect ArmTimer(Clock::duration delay) {
  Effect effect = Make(Effect::Kind::kArmTimer);
  effect.delay = delay;
  return effect;
}

Effect Publish(State from, State to, std::string reason) {
  Effect effect = Make(Effect::Kind::kPublish);
  effect.from = from;
  effect.to = to;
  effect.reason = std::move(reason);
  return effect;
}

Effect FatalShutdown(std::string reason) {
  Effect effect = Make(Effect::Kind::kFatalShutdown);
  effect.reason = std::move(reason);
  return effect;
}

}  // namespace effect

std::ostream& operator<<(std::ostream& out, const Effect& effect) {
  switch (effect.kind) {
    case Effect::Kind::kCheckDependencies: return out << "CheckDependencies";
    case Effect::Kind::kSpawn: return out << "Spawn";
    case Effect::Kind::kKill:
      return out << "Kill(" << effect.signal << (effect.to_group ? ", group)" : ", leader)");
    case Effect::Kind::kArmTimer: return out << "ArmTimer(" << FormatDuration(effect.delay) << ")";
    case Effect::Kind::kCancelTimer: return out << "CancelTimer";
    case Effect::Kind::kPublish:
      return out << "Publish(" << StateName(effect.from) << " -> " << StateName(effect.to)
                 << ", \"" << effect.reason << "\")";
    case Effect::Kind::kStatusChanged: return out << "StatusChanged";
    case Effect::Kind::kFatalShutdown: return out << "FatalShutdown(\"" << effect.reason << "\")";
  }
  return out << "Effect?";
}

}  // namespace sup::daemon
