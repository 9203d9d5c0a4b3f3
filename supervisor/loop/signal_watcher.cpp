#include "loop/signal_watcher.h"

#include <utility>

namespace sup::daemon {

SignalWatcher::SignalWatcher(uv_loop_t& loop) {
  auto* raw = new uv_signal_t;
  init_error_ = uv_signal_init(&loop, raw);
  if (init_error_ != 0) {
    delete raw;  // never initialised: nothing to uv_close
    return;
  }
  handle_.reset(raw);
  handle_->data = this;
}

Result<void> SignalWatcher::Start(int signum, std::function<void(int)> fn) {
  if (init_error_ != 0) {
    return Fail(Error{ErrorCode::kLibuv, init_error_,
                      std::string("uv_signal_init: ") + uv_strerror(init_error_)});
  }
  fn_ = std::move(fn);
  const int rc = uv_signal_start(handle_.get(), &SignalWatcher::OnSignal, signum);
  if (rc != 0) {
    fn_ = nullptr;
    return Fail(Error{ErrorCode::kLibuv, rc,
                      "uv_signal_start " + std::to_string(signum) + ": " + uv_strerror(rc)});
  }
  return {};
}

void SignalWatcher::Stop() {
  if (handle_) uv_signal_stop(handle_.get());
  fn_ = nullptr;
}

void SignalWatcher::Unref() {
  if (handle_) uv_unref(reinterpret_cast<uv_handle_t*>(handle_.get()));
}

void SignalWatcher::OnSignal(uv_signal_t* handle, int signum) noexcept {
  auto* self = static_cast<SignalWatcher*>(handle->data);
  if (self == nullptr || !self->fn_) return;
  auto fn = self->fn_;  // a copy: the callback may replace fn_ or destroy the watcher
  fn(signum);
}

}  // namespace sup::daemon
