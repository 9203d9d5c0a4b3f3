// ExecProbe: runs a health command through supd's Spawner (new session, output captured and
// discarded but for its last line) and passes when the Reaper reports exit 0.
// Loop thread only. Destroying it before the exit SIGKILLs the command's process group and
// leaves the Reaper a no-op watch, so the zombie is still reaped and nothing calls back.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <array>
#include <string>

#include "health/health_target.h"
#include "health/probe.h"
#include "lifecycle/state.h"
#include "loop/uv_handle.h"
#include "process/reaper.h"
#include "process/spawner.h"

namespace sup::daemon {

class ExecProbe final : public Probe {
 public:
  // `spawner` and `reaper` must outlive this probe.
  ExecProbe(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper, const HealthTarget& target);
  ExecProbe(const ExecProbe&) = delete;
  ExecProbe& operator=(const ExecProbe&) = delete;
  ~ExecProbe() override;

  Result<void> Start(DoneFn done) override;
  pid_t pid() const { return pid_; }  // -1 before Start

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  void OnExit(ExitStatus status);
  void Keep(const char* data, size_t size);  // keeps the tail of the output for the detail
  void DrainNow();                           // what the command wrote just before it exited
  std::string LastLine() const;

  uv_loop_t& loop_;
  const Spawner& spawner_;
  Reaper& reaper_;
  SpawnRequest request_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  UvHandle<uv_pipe_t> output_;  // stdout and stderr merged; owns the read end once opened
  std::string tail_;            // at most kTail bytes
  std::array<char, 4096> buffer_{};
  DoneFn done_;
};

}  // namespace sup::daemon
