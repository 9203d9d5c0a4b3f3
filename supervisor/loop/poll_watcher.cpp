#include "loop/poll_watcher.h"

#include <utility>

namespace sup::daemon {

PollWatcher::PollWatcher(uv_loop_t& loop, int fd) : fd_(fd) {
  auto* raw = new uv_poll_t;
  init_error_ = uv_poll_init(&loop, raw, fd);
  if (init_error_ != 0) {
    delete raw;  // never initialised: nothing to uv_close
    return;
  }
  handle_.reset(raw);
  handle_->data = this;
}

Result<void> PollWatcher::Start(int events, std::function<void(int, int)> fn) {
  if (init_error_ != 0) {
    return Fail(Error{ErrorCode::kLibuv, init_error_,
                      "uv_poll_init fd " + std::to_string(fd_) + ": " + uv_strerror(init_error_)});
  }
  fn_ = std::move(fn);
  const int rc = uv_poll_start(handle_.get(), events, &PollWatcher::OnPoll);
  if (rc != 0) {
    fn_ = nullptr;
    return Fail(Error{ErrorCode::kLibuv, rc,
                      "uv_poll_start fd " + std::to_string(fd_) + ": " + uv_strerror(rc)});
  }
  return {};
}

void PollWatcher::Stop() {
  if (handle_) uv_poll_stop(handle_.get());
  fn_ = nullptr;
}

void PollWatcher::OnPoll(uv_poll_t* handle, int status, int events) noexcept {
  auto* self = static_cast<PollWatcher*>(handle->data);
  if (self == nullptr || !self->fn_) return;
  auto fn = self->fn_;  // a copy: the callback may replace fn_ or destroy the watcher
  fn(status, events);
}

}  // namespace sup::daemon
