// LogSink: the destination end of captured output (a rotating file, supd's stdout or stderr,
// a fake in tests). Sinks are driven by the writer threads of OutputHub, never by the loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sup/conf/config.h"

namespace sup::daemon::output {

enum class Stream : std::uint8_t { kStdout = 1, kStderr = 2 };

const char* StreamName(Stream s);  // "stdout" / "stderr"

// Write(), Reopen() and Configure() run on one writer thread at a time for a given sink
// (its SinkChannel serialises them), so a sink needs no locking for its own state; status()
// may be called from any thread.
class LogSink {
 public:
  virtual ~LogSink() = default;

  // `lines` is one or more whole lines, each ending in '\n'. Returns how many bytes of them
  // (whole lines) are done with: written, or given up for good and accounted for by the sink.
  // Fewer than lines.size() means the rest met a full disk or a failing device (the sink's
  // status() says which): its SinkChannel retries them a second later (backpressure "block")
  // or drops and counts them ("drop"). A failing sink never throws and never blocks forever.
  virtual std::size_t Write(std::string_view lines) = 0;
  // SIGUSR1: an external logrotate moved the file; start a new one under the same name.
  virtual void Reopen() {}
  // Reload changed max_size/backups (same file).
  virtual void Configure(const conf::OutputSpec& /*spec*/) {}
  // "" while healthy, else the last error, e.g. "write /var/log/web.log: No space left on device".
  virtual std::string status() const { return {}; }
};

}  // namespace sup::daemon::output
