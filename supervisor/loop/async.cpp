#include "loop/async.h"

#include <utility>

namespace sup::daemon {

Async::Async(uv_loop_t& loop, std::function<void()> fn) : fn_(std::move(fn)) {
  auto* raw = new uv_async_t;
  init_error_ = uv_async_init(&loop, raw, &Async::OnAsync);
  if (init_error_ != 0) {
    delete raw;  // never initialised: nothing to uv_close
    return;
  }
  handle_.reset(raw);
  handle_->data = this;
}

bool Async::Send() { return handle_ && uv_async_send(handle_.get()) == 0; }

void Async::Unref() {
  if (handle_) uv_unref(reinterpret_cast<uv_handle_t*>(handle_.get()));
}

void Async::OnAsync(uv_async_t* handle) noexcept {
  auto* self = static_cast<Async*>(handle->data);
  if (self == nullptr || !self->fn_) return;
  auto fn = self->fn_;  // a copy: the callback may destroy this Async
  fn();
}

}  // namespace sup::daemon
