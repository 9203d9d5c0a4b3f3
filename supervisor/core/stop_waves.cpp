#include "core/stop_waves.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/instance.h"
#include "core/stop_plan.h"

namespace sup::daemon {

void StopWaves::Forget(const Instance* instance) {
  for (auto& batch : batches_) {
    std::erase(batch.instances, instance);
    batch.signalled.erase(instance);
  }
}

void StopWaves::Pump(const DependencyGraph& graph, const conf::Config& config) {
  for (auto& batch : batches_) {
    if (batch.signalled.size() == batch.instances.size()) continue;  // only waiting for exits
    // Per program: its instances in this batch (linear in the batch: shutdowns stop thousands).
    std::unordered_map<std::string, std::vector<Instance*>> by_program;
    std::set<std::string> stopping, alive, fully_signalled;
    for (auto* i : batch.instances) {
      by_program[i->program()].push_back(i);
      stopping.insert(i->program());
      if (i->has_process()) alive.insert(i->program());
      // What has no process needs no ordering: BACKOFF, waiting or STOPPED stop at once.
      if (!i->has_process() && batch.signalled.insert(i).second) i->Stop();
    }
    for (const auto& [program, instances] : by_program)
      if (std::all_of(instances.begin(), instances.end(),
                      [&](Instance* i) { return batch.signalled.count(i) != 0; }))
        fully_signalled.insert(program);
    for (const auto& program : ReleasableForStop(graph, config, stopping, alive, fully_signalled))
      for (auto* i : by_program[program])
        if (batch.signalled.insert(i).second) i->Stop();
  }
  std::erase_if(batches_, [](const Batch& b) {
    return std::all_of(b.instances.begin(), b.instances.end(), [&](Instance* i) {
      return b.signalled.count(i) && !i->has_process();
    });
  });
}

}  // namespace sup::daemon
