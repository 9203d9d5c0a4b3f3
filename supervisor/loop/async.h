// Async: wakes the loop from another thread (uv_async_t). Send() is the only member that is
// safe off the loop thread; several Sends before the loop runs coalesce into one callback.
// Non-copyable, non-movable: the handle's data points at *this.
#pragma once

#include <uv.h>

#include <functional>

#include "loop/uv_handle.h"
#include "sup/base/result.h"

namespace sup::daemon {

class Async {
 public:
  // `fn` runs on the loop thread and must not throw. A failed uv_async_init is reported by
  // Send() returning false and by init_error().
  Async(uv_loop_t& loop, std::function<void()> fn);
  Async(const Async&) = delete;
  Async& operator=(const Async&) = delete;
  ~Async() = default;  // every thread that may Send() must be done before this runs

  bool Send();  // any thread
  int init_error() const { return init_error_; }
  void Unref();  // loop thread: do not keep the loop alive for this handle alone

 private:
  static void OnAsync(uv_async_t* handle) noexcept;

  UvHandle<uv_async_t> handle_;
  int init_error_ = 0;
  std::function<void()> fn_;
};

}  // namespace sup::daemon
