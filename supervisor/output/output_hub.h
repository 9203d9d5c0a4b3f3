// OutputHub: what all instances' output shares: the writer threads (files; supd's stdout;
// supd's stderr, each on its own threads so a blocked terminal never holds up the files),
// the open log files (instances of one program share one by path), and the loop-side wake-up
// that resumes paused pipes. Construct and use on the loop thread; outlives every
// InstanceOutput created with it.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loop/uv_handle.h"
#include "output/log_sink.h"
#include "output/writer_pool.h"
#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon::output {

struct ResumeQueue;  // output_hub.cpp: budgets whose producer may resume, crossing threads

class OutputHub {
 public:
  // Opens a log file sink; the default is RotatingFile::Open. Tests swap in fakes.
  using FileOpener = std::function<Result<std::unique_ptr<LogSink>>(const std::string& path,
                                                                    const conf::OutputSpec& spec)>;
  struct Options {
    int stdout_fd = 1;  // supd's own stdout/stderr, borrowed, never re-flagged
    int stderr_fd = 2;
    int file_threads = 2;
    std::size_t queue_bound = 1 << 20;  // per instance and sink: over it, block pauses / drop drops
    FileOpener open_file = nullptr;     // empty = RotatingFile::Open
  };

  OutputHub(uv_loop_t& loop, Options options);
  // Shutdown(kDefaultShutdown) unless done, then closes its handle (run the loop once more
  // for its close callback before uv_loop_close).
  ~OutputHub();
  OutputHub(const OutputHub&) = delete;
  OutputHub& operator=(const OutputHub&) = delete;

  static constexpr std::chrono::milliseconds kDefaultShutdown{5'000};

  // Writes everything queued so far (call after the final DrainNow() of each instance);
  // returns false when `timeout` passed first (e.g. supd's stdout is a pipe nobody reads).
  bool Flush(std::chrono::milliseconds timeout = kDefaultShutdown);
  // Flush, then stop the threads. Later output is discarded. Idempotent.
  bool Shutdown(std::chrono::milliseconds timeout = kDefaultShutdown);

  // SIGUSR1: every open log file starts again under its name (queued behind pending lines).
  void ReopenFiles();

  // Forwarded names are padded to this width ("web   | …"); 0 = no padding.
  void SetPrefixWidth(std::size_t width) { prefix_width_ = width; }
  std::size_t prefix_width() const { return prefix_width_; }

  // Failed writes to supd's stdout + stderr (SPEC §6 forward_errors).
  std::uint64_t forward_errors() const;
  bool stdout_failed() const;
  bool stderr_failed() const;

  // --- used by InstanceOutput ---
  uv_loop_t& loop() { return loop_; }
  // The shared channel for `path` (opened now if no instance holds it; the error is the
  // open error). A channel stays open while any InstanceOutput holds it.
  Result<std::shared_ptr<SinkChannel>> FileChannel(const std::string& path,
                                                   const conf::OutputSpec& spec);
  std::shared_ptr<SinkChannel> ForwardChannel(Stream stream);
  // A budget whose on_drained wakes the loop and then calls `resume` there.
  std::shared_ptr<QueueBudget> NewBudget(std::function<void()> resume);
  // Called on the loop thread while an instance is paused waiting for a resume: keeps the
  // loop alive until then (the wake-up handle is unreferenced otherwise).
  void HoldLoop(bool hold);
  std::size_t queue_bound() const { return options_.queue_bound; }
  // One read buffer for every pipe: each read is consumed before the next one starts.
  char* read_buffer() { return read_buf_.get(); }
  std::size_t read_buffer_size() const { return kReadBufferSize; }
  bool shut_down() const { return shut_down_; }

 private:
  static void OnWake(uv_async_t* handle) noexcept;

  uv_loop_t& loop_;
  Options options_;
  std::size_t prefix_width_ = 0;
  // Four times a default pipe: a program writing flat out fills its (1 MiB) pipe, and supd
  // then splits lines and wakes a writer once per 256 KiB instead of once per 64 KiB (1 GB
  // captured: loop thread 530 -> 450 ms, 1 070 -> 1 170 MB/s). Left uninitialised so that
  // its pages only become resident as reads fill them.
  static constexpr std::size_t kReadBufferSize = 256 * 1024;
  std::unique_ptr<char[]> read_buf_{new char[kReadBufferSize]};
  WriterPool files_;
  WriterPool stdout_pool_;
  WriterPool stderr_pool_;
  std::shared_ptr<SinkChannel> stdout_channel_;
  std::shared_ptr<SinkChannel> stderr_channel_;
  std::map<std::string, std::weak_ptr<SinkChannel>> files_by_path_;
  std::shared_ptr<ResumeQueue> resume_;
  UvHandle<uv_async_t> wake_;
  int holds_ = 0;
  bool shut_down_ = false;
};

}  // namespace sup::daemon::output
