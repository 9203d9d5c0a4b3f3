#include "loop/timer.h"

#include <utility>

namespace sup::daemon {

Timer::Timer(uv_loop_t& loop) : handle_(new uv_timer_t) {
  uv_timer_init(&loop, handle_.get());  // documented to always return 0
  handle_->data = this;
}

void Timer::Start(std::chrono::milliseconds after, std::function<void()> fn) {
  fn_ = std::move(fn);
  const auto ms = after.count() < 0 ? 0 : static_cast<uint64_t>(after.count());
  uv_timer_start(handle_.get(), &Timer::OnFire, ms, 0);
}

void Timer::Stop() {
  uv_timer_stop(handle_.get());
  fn_ = nullptr;
}

bool Timer::active() const { return uv_is_active(reinterpret_cast<uv_handle_t*>(handle_.get())) != 0; }

void Timer::OnFire(uv_timer_t* handle) noexcept {
  auto* self = static_cast<Timer*>(handle->data);
  if (self == nullptr) return;
  // Moved out first: the callback may re-Start (replacing fn_) or destroy this Timer.
  auto fn = std::move(self->fn_);
  self->fn_ = nullptr;
  if (fn) fn();
}

}  // namespace sup::daemon
