// InstanceOutput: the capture of one instance's stdout and stderr. Reads the pipes the
// spawner returns, splits them into lines, and routes each line to the ring, the log files
// and supd's stdout/stderr. Lives as long as the instance (ring and files persist across
// restarts); loop thread only.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output/line_splitter.h"
#include "output/log_ring.h"
#include "output/output_hub.h"
#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon::output {

struct InstanceOutputSpec {
  std::string program;  // "web"
  std::string name;     // "web" or "web:1" (conf::InstanceName): the forwarded prefix
  int index = 0;
  conf::OutputSpec stdout_spec;  // ProgramSpec::stdout_log
  conf::OutputSpec stderr_spec;  // ProgramSpec::stderr_log (merge = true: into stdout's sinks)
  std::string stdout_file;       // conf::InstanceSpec::stdout_file: absolute, "" = none
  std::string stderr_file;
};

class InstanceOutput {
 public:
  // Called on the loop thread for every captured line (for `supctl logs -f`); must not block.
  using LineObserver = std::function<void(const std::string& instance, Stream stream,
                                          std::chrono::system_clock::time_point time,
                                          std::string_view line)>;
  // Asked once per read: whether the observer wants this instance's lines now. When it says
  // no, lines that need nothing but their bytes copied are not split one by one.
  using FollowCheck = std::function<bool(const std::string& instance)>;

  // `hub` must outlive this object. Nothing is opened yet.
  InstanceOutput(OutputHub& hub, InstanceOutputSpec spec);
  // Stops reading (bytes still in the pipes are not read: DrainNow() first if they matter);
  // lines already queued are still written by the hub.
  ~InstanceOutput();
  InstanceOutput(const InstanceOutput&) = delete;
  InstanceOutput& operator=(const InstanceOutput&) = delete;

  // Before each spawn: opens the log files not open yet. An error fails the start with its
  // text ("open /var/log/sup/web.log: Permission denied").
  Result<void> OpenFiles();
  // After each spawn: takes ownership of the read ends (the spawner's non-blocking CLOEXEC
  // fds; -1 for none, e.g. stderr merged at spawn) and starts reading. Pipes of an earlier
  // run stay attached until EOF: a descendant may still write into them.
  Result<void> Attach(int stdout_fd, int stderr_fd);
  // When the main process has been reaped, BEFORE handling the exit: reads every attached
  // pipe until it is empty (EAGAIN) or at EOF, even while paused. Never waits for EOF.
  void DrainNow();
  // Reload: applies output keys in place; a renamed file is opened under its new name (on
  // error nothing changes and the error is returned).
  Result<void> Reconfigure(InstanceOutputSpec spec);
  // Reopens this instance's log files (OutputHub::ReopenFiles does all of them).
  void Reopen();

  // Without `followed`, the observer is taken to want every line.
  void SetObserver(LineObserver observer, FollowCheck followed = nullptr) {
    observer_ = std::move(observer);
    followed_ = std::move(followed);
  }

  // The last `n` lines of the ring, oldest first; only of `only` when set.
  std::vector<LogRecord> Tail(std::size_t n, std::optional<Stream> only = std::nullopt) const;
  const LogRing& ring() const { return ring_; }

  const InstanceOutputSpec& spec() const { return spec_; }
  std::uint64_t captured_bytes() const { return captured_bytes_; }
  // Lines dropped here (queue over its bound) and by the writers (a full disk), "drop" mode.
  std::uint64_t dropped_lines() const {
    return dropped_lines_ + sink_dropped_->load(std::memory_order_relaxed);
  }
  // "" when every sink is healthy and the ring is allocated (or not needed yet), else their
  // errors joined by "; " ("ring off: cannot allocate 66060288 bytes" first).
  std::string error() const;
  bool paused() const { return paused_; }
  std::size_t attached_pipes() const { return readers_.size(); }

 private:
  class PipeReader;
  struct Route;

  Result<void> BuildRoutes(const InstanceOutputSpec& spec,
                           std::vector<std::unique_ptr<Route>>& routes, Route* out[2][2]);
  void OnBytes(PipeReader& reader, std::string_view bytes);
  bool TakesBulk(Stream stream) const;
  static std::pair<std::size_t, std::size_t> BulkLines(const LineSplitter& splitter,
                                                       std::string_view whole);
  void OnEof(PipeReader& reader);
  const std::string& NowText();
  void EmitLine(Stream stream, std::string_view line);
  void FlushBatches();
  void Pause();
  void MaybeResume();
  void RemoveReader(PipeReader* reader);
  std::string RingOffText() const;

  OutputHub& hub_;
  InstanceOutputSpec spec_;
  LogRing ring_;
  std::vector<std::unique_ptr<Route>> routes_;  // distinct (channel, budget) pairs
  Route* sinks_[2][2] = {};                     // [stream][file=0, forward=1], may be null
  std::vector<std::unique_ptr<PipeReader>> readers_;
  LineObserver observer_;
  FollowCheck followed_;
  std::string_view read_;                      // the bytes being split (OnBytes only)
  const char* ring_skip_until_ = nullptr;      // in read_: lines ending before it skip the ring
  std::chrono::system_clock::time_point now_;  // the arrival time of the bytes being split
  std::string now_text_;                       // now_ as RFC 3339, when a sink needs it
  std::string prefix_;                         // "web:1 | ", padded to prefix_width_
  std::size_t prefix_width_ = 0;
  std::uint64_t captured_bytes_ = 0;
  std::uint64_t dropped_lines_ = 0;
  // Shared with every budget of this instance, so lines a writer drops after a reload replaced
  // the routes are still counted.
  std::shared_ptr<std::atomic<std::uint64_t>> sink_dropped_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  bool paused_ = false;
  bool files_open_ = false;
  bool ring_off_logged_ = false;
};

}  // namespace sup::daemon::output
