// PollWatcher: readiness (readable / writable) of an fd that someone else owns, through
// uv_poll_t. Used for sockets libuv has no stream type for (the sd_notify datagram socket).
// Loop thread only. Non-copyable, non-movable: the handle's data points at *this.
#pragma once

#include <uv.h>

#include <functional>

#include "loop/uv_handle.h"
#include "sup/base/result.h"

namespace sup::daemon {

class PollWatcher {
 public:
  // The fd is NOT owned: it must stay open until this watcher is destroyed (closing it first
  // leaves epoll watching a stale number). libuv switches the fd to non-blocking mode.
  PollWatcher(uv_loop_t& loop, int fd);  // a failed uv_poll_init is reported by Start()
  PollWatcher(const PollWatcher&) = delete;
  PollWatcher& operator=(const PollWatcher&) = delete;
  ~PollWatcher() = default;

  // `events` is UV_READABLE and/or UV_WRITABLE. fn(status, events): status is 0 or a negative
  // libuv code (then events may be 0). `fn` must not throw; it may Stop or destroy the watcher.
  Result<void> Start(int events, std::function<void(int status, int events)> fn);
  void Stop();

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events) noexcept;

  UvHandle<uv_poll_t> handle_;
  int init_error_ = 0;
  int fd_;
  std::function<void(int, int)> fn_;
};

}  // namespace sup::daemon
