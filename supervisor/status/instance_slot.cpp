#include "status/instance_slot.h"

#include "core/instance.h"

namespace sup::daemon {

SlotData InstanceSlot(const Instance& instance) {
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  const InstanceStatus& s = instance.fsm().status();
  const conf::ProgramSpec& spec = instance.spec();
  SlotData d;
  d.name = instance.name();
  d.pid = s.pid;
  d.state = static_cast<sup_state>(s.state);  // same numbering (lifecycle/state.cpp asserts it)
  d.ready = s.ready;
  d.health = static_cast<sup_health>(s.health);
  if (s.start_time != TimePoint{}) {
    d.start_mono_ns = duration_cast<nanoseconds>(s.start_time.time_since_epoch()).count();
    d.start_time_ns =
        duration_cast<nanoseconds>(Instance::WallTime(s.start_time).time_since_epoch()).count();
  }
  d.restarts = s.restarts;
  if (!s.exits.empty()) {
    const ExitRecord& e = s.exits.last();
    d.last_exit = SlotExit{
        e.status.by_signal() ? -1 : e.status.code, e.status.signal, e.status.core_dumped,
        static_cast<std::uint64_t>(
            duration_cast<nanoseconds>(Instance::WallTime(e.at).time_since_epoch()).count()),
        static_cast<std::uint64_t>(duration_cast<nanoseconds>(e.run_length).count())};
  }
  d.captured_bytes = instance.output().captured_bytes();
  d.dropped_lines = instance.output().dropped_lines();
  if (const CounterPage* page = instance.counter_page()) d.counter_page = page->name();
  // What the next supd needs to stop this process should this supd die (SPEC §9.1).
  if (s.pid > 0) d.pid_start_ticks = instance.StartTicks();
  d.stop_signal = spec.stop_signal;
  d.kill_group = spec.kill_group;
  d.stop_timeout_ms = static_cast<std::uint64_t>(spec.stop_timeout.count());
  return d;
}

}  // namespace sup::daemon
