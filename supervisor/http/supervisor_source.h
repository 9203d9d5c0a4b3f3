// SupervisorSource: what the HTTP endpoint shows, read from the Supervisor at request time:
// every instance's state and figures, its agent counters (its counter page, read as untrusted
// input by status/counter_reader), and /readyz's verdict (SPEC §6: every wanted-up instance
// ready; a one-shot EXITED completed; with a health check, healthy; never during a shutdown).
// Reads only.
// Compiled into sup_daemon (it needs the Supervisor); loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/instance_usage_reads.h"
#include "http/http_endpoint.h"

namespace sup::daemon {
class Supervisor;
}

namespace sup::daemon::http {

// The daemon's own figures, read at each scrape.
struct DaemonFigures {
  std::size_t control_clients = 0;
  std::uint64_t notify_rejected = 0;
  std::uint64_t forward_errors = 0;
};

class SupervisorSource final : public MetricsSource {
 public:
  // `supervisor` must outlive this object; `started` is when supd started (monotonic).
  SupervisorSource(Supervisor& supervisor, std::chrono::steady_clock::time_point started,
                   std::function<DaemonFigures()> figures);

  void Snapshot(std::function<void(MetricsSnapshot)> done) override;
  std::vector<std::string> NotReady() override;

 private:
  MetricsSnapshot Take(const UsageReadings& usage);

  Supervisor& supervisor_;
  std::chrono::system_clock::time_point started_wall_;
  std::function<DaemonFigures()> figures_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // for snapshots finishing later
};

}  // namespace sup::daemon::http
