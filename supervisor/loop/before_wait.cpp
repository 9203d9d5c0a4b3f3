#include "loop/before_wait.h"

#include <utility>

namespace sup::daemon {

BeforeWait::BeforeWait(uv_loop_t& loop, std::function<void()> fn)
    : handle_(new uv_prepare_t), fn_(std::move(fn)) {
  uv_prepare_init(&loop, handle_.get());  // documented to always return 0
  handle_->data = this;
  uv_prepare_start(handle_.get(), &BeforeWait::OnPrepare);
  uv_unref(reinterpret_cast<uv_handle_t*>(handle_.get()));
}

void BeforeWait::OnPrepare(uv_prepare_t* handle) noexcept {
  auto* self = static_cast<BeforeWait*>(handle->data);
  if (self != nullptr && self->fn_) self->fn_();
}

}  // namespace sup::daemon
