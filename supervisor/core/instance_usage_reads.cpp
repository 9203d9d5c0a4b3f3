#include "core/instance_usage_reads.h"

namespace sup::daemon {

void ReadInstancesUsage(ProcessRunner& runner, const std::vector<Instance*>& instances,
                        std::function<void(const UsageReadings&)> done) {
  resources::Probes probes;
  for (const Instance* i : instances)
    if (auto probe = i->UsageProbe()) probes.push_back(std::move(probe));
  if (probes.empty()) return done({});
  auto keep = probes;  // alive until the lookups are done: their addresses are the keys
  runner.ReadUsage(std::move(probes), [keep = std::move(keep), done = std::move(done)](resources::Readings r) {
    UsageReadings readings;
    for (std::size_t i = 0; i < keep.size(); ++i) readings.emplace(keep[i].get(), std::move(r[i]));
    done(readings);
  });
}

std::optional<resources::InstanceUsage> UsageOf(const Instance& instance, const UsageReadings& readings) {
  const auto* probe = instance.current_probe();
  if (probe == nullptr) return std::nullopt;
  const auto it = readings.find(probe);
  return it == readings.end() ? std::nullopt : instance.Usage(probe, it->second);
}

}  // namespace sup::daemon
