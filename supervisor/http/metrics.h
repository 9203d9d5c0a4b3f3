// What /metrics shows, as plain values, and its rendering in the Prometheus text exposition
// format 0.0.4. RenderMetrics is pure: the daemon fills a MetricsSnapshot at scrape time
// (supervisor_source.h) and the endpoint adds its own figures (process, loop, clients).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "status/status_types.h"

namespace sup::daemon::http {

struct ExitSample {
  int code = -1;           // -1 when it died of a signal
  int signal = 0;          // 0 when it exited
  double at_unix_s = 0;    // wall-clock time of the exit
  double run_s = 0;        // how long that run lasted
};

struct InstanceSample {
  std::string program;
  int index = 0;
  std::string state;       // SPEC §4's names: "RUNNING", …
  std::string health;      // "unknown" | "healthy" | "unhealthy"
  bool ready = false;      // the instance's own ready flag, as `status` shows it
  bool wanted_up = false;
  double uptime_s = 0;     // 0 without a process
  std::uint64_t restarts = 0;
  std::optional<ExitSample> last_exit;
  std::uint64_t captured_bytes = 0;
  std::uint64_t dropped_lines = 0;
  std::vector<CounterValue> counters;  // from its counter page, already validated
  // What its processes use (SPEC §9.2); unset without a live process.
  std::optional<double> cpu_s;
  std::optional<std::uint64_t> memory_bytes;
};

// supd's own figures; -1 (or empty) where a figure could not be read.
struct SupdSample {
  std::string version;
  double start_time_unix_s = 0;
  double resident_bytes = -1;
  double virtual_bytes = -1;
  double cpu_seconds = -1;
  double open_fds = -1;
  double max_fds = -1;
  std::size_t control_clients = 0;
  std::size_t http_clients = 0;
  double loop_lag_s = 0;
  std::uint64_t notify_rejected = 0;
  std::uint64_t forward_errors = 0;
};

struct MetricsSnapshot {
  SupdSample supd;
  std::vector<InstanceSample> instances;
};

// Every family once, with # HELP and # TYPE, samples grouped by family. Instance series carry
// `program` and `index` labels (not `instance`: Prometheus sets that label to the scrape
// target), agent counters and gauges also `name`.
std::string RenderMetrics(const MetricsSnapshot& snapshot);

// A label value with \, " and newline escaped as the format requires.
std::string EscapeLabel(const std::string& value);

}  // namespace sup::daemon::http
