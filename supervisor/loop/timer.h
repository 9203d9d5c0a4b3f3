// Timer: a one-shot uv_timer_t owned by a C++ object. Start() re-arms (replacing the pending
// callback); the destructor closes the handle, so a Timer never fires after it is gone.
// Loop thread only. Non-copyable, non-movable: the handle's data points at *this.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>

#include "loop/uv_handle.h"

namespace sup::daemon {

class Timer {
 public:
  explicit Timer(uv_loop_t& loop);  // uv_timer_init cannot fail
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() = default;  // UvHandle closes; libuv frees the struct in its close_cb

  // Runs `fn` once, `after` from now (0 = on the next loop iteration). `fn` must not throw
  // (it runs inside a noexcept libuv callback). It may call Start/Stop or destroy this Timer.
  void Start(std::chrono::milliseconds after, std::function<void()> fn);
  void Stop();
  bool active() const;

 private:
  static void OnFire(uv_timer_t* handle) noexcept;

  UvHandle<uv_timer_t> handle_;
  std::function<void()> fn_;
};

}  // namespace sup::daemon
