// SignalWatcher: delivers one signal to the loop thread through libuv's self-pipe
// (uv_signal_t). The callback runs on the loop, never in signal context.
// Loop thread only. Non-copyable, non-movable: the handle's data points at *this.
#pragma once

#include <uv.h>

#include <functional>

#include "loop/uv_handle.h"
#include "sup/base/result.h"

namespace sup::daemon {

class SignalWatcher {
 public:
  explicit SignalWatcher(uv_loop_t& loop);  // a failed uv_signal_init is reported by Start()
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher() = default;

  // Watches `signum` (replacing any earlier signal and callback). `fn(signum)` must not throw;
  // it may call Start/Stop or destroy this watcher. Several deliveries may coalesce into one.
  Result<void> Start(int signum, std::function<void(int)> fn);
  void Stop();
  // Keeps the loop from staying alive for this handle alone (uv_unref); still delivered.
  void Unref();

 private:
  static void OnSignal(uv_signal_t* handle, int signum) noexcept;

  UvHandle<uv_signal_t> handle_;
  int init_error_ = 0;  // libuv code from uv_signal_init; handle_ is null when non-zero
  std::function<void(int)> fn_;
};

}  // namespace sup::daemon
