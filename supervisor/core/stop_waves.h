// StopWaves: the stops in progress, each a batch of instances released in waves, dependants
// first (SPEC §4 "Stopping"). An operator's `stop` of several programs, a shutdown and a
// reload's retirement each add a batch; Pump() signals what ReleasableForStop allows and drops
// the batches whose instances are all signalled and gone. Loop thread only.
#pragma once

#include <set>
#include <vector>

#include "core/dependency_graph.h"
#include "sup/conf/config.h"

namespace sup::daemon {

class Instance;

class StopWaves {
 public:
  // A stop of `instances`, in waves.
  void Add(const std::vector<Instance*>& instances) { batches_.push_back({instances, {}}); }
  // `instance` was already told to stop (a reload retired it): only its end is waited for.
  void AddStopped(Instance* instance) { batches_.push_back({{instance}, {instance}}); }
  // A shutdown replaces every stop in progress with its own.
  void Clear() { batches_.clear(); }
  // `instance` leaves every batch (it is being retired or destroyed).
  void Forget(const Instance* instance);

  // Tells each instance whose turn has come to stop (Instance::Stop), and drops the finished
  // batches. Call after anything that may have ended a process.
  void Pump(const DependencyGraph& graph, const conf::Config& config);

 private:
  struct Batch {
    std::vector<Instance*> instances;
    std::set<const Instance*> signalled;
  };
  std::vector<Batch> batches_;
};

}  // namespace sup::daemon
