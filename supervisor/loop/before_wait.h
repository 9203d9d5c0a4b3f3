// BeforeWait: runs a function each time the loop is about to wait for events (uv_prepare_t),
// to hand over in one go what the iteration's callbacks produced. It never wakes the loop:
// an idle loop runs it once before sleeping, then not again until an event arrives. Does
// not keep the loop alive. Non-copyable, non-movable: the handle's data points at *this.
#pragma once

#include <uv.h>

#include <functional>

#include "loop/uv_handle.h"

namespace sup::daemon {

class BeforeWait {
 public:
  // `fn` runs on the loop thread and must not throw.
  BeforeWait(uv_loop_t& loop, std::function<void()> fn);
  BeforeWait(const BeforeWait&) = delete;
  BeforeWait& operator=(const BeforeWait&) = delete;

 private:
  static void OnPrepare(uv_prepare_t* handle) noexcept;

  UvHandle<uv_prepare_t> handle_;
  std::function<void()> fn_;
};

}  // namespace sup::daemon
