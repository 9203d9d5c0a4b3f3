// supd's own resource figures for /metrics, read from /proc/self at scrape time (never
// sampled on a timer). A figure that cannot be read is -1 and is left out of the output.
#pragma once

namespace sup::daemon::http {

struct ProcessFigures {
  double resident_bytes = -1;
  double virtual_bytes = -1;
  double cpu_seconds = -1;   // user + system
  double open_fds = -1;
  double max_fds = -1;       // the soft RLIMIT_NOFILE
};

ProcessFigures ReadProcessFigures();

}  // namespace sup::daemon::http
