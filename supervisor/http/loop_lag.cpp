#include "http/loop_lag.h"

#include <algorithm>

namespace sup::daemon::http {

// libuv updates its loop time (uv_now, milliseconds) right after epoll_wait returns; the I/O
// callbacks then run, then the check handles. So check − wake-up is the time spent in this
// wake-up's callbacks, and prepare − check the rest of the iteration (closing callbacks,
// timers, pending and idle handles) before the loop blocks again. uv_now is in whole
// milliseconds, so the wake-up is known to the millisecond; it is never before the loop
// began to wait (the last prepare), which keeps short waits exact.
LoopLag::LoopLag(uv_loop_t& loop)
    : loop_(loop), check_(new uv_check_t), prepare_(new uv_prepare_t) {
  uv_check_init(&loop, check_.get());  // cannot fail
  uv_prepare_init(&loop, prepare_.get());
  check_->data = this;
  prepare_->data = this;
  uv_check_start(check_.get(), &LoopLag::OnCheck);
  uv_prepare_start(prepare_.get(), &LoopLag::OnPrepare);
  uv_unref(reinterpret_cast<uv_handle_t*>(check_.get()));
  uv_unref(reinterpret_cast<uv_handle_t*>(prepare_.get()));
  // Busy from now on: what runs before the loop first waits (start-up) counts too.
  check_ns_ = uv_hrtime();
  awake_ = true;
}

void LoopLag::OnCheck(uv_check_t* handle) noexcept {
  auto* self = static_cast<LoopLag*>(handle->data);
  if (self == nullptr) return;
  const std::uint64_t now = uv_hrtime();
  const std::uint64_t woke_ns = self->WakeUpNs();
  self->io_busy_ns_ = now > woke_ns ? now - woke_ns : 0;
  self->check_ns_ = now;
  self->awake_ = true;
}

void LoopLag::OnPrepare(uv_prepare_t* handle) noexcept {
  auto* self = static_cast<LoopLag*>(handle->data);
  if (self == nullptr || !self->awake_) return;
  const std::uint64_t now = uv_hrtime();
  self->max_ns_ = std::max(self->max_ns_, self->BusySoFar(now));
  self->awake_ = false;
  self->wait_ns_ = now;
}

std::uint64_t LoopLag::BusySoFar(std::uint64_t now_ns) const {
  if (awake_) return io_busy_ns_ + (now_ns > check_ns_ ? now_ns - check_ns_ : 0);
  // Inside the I/O callbacks of the current wake-up (a scrape is one of them).
  const std::uint64_t woke_ns = WakeUpNs();
  return now_ns > woke_ns ? now_ns - woke_ns : 0;
}

std::uint64_t LoopLag::WakeUpNs() const {
  return std::max<std::uint64_t>(uv_now(&loop_) * 1'000'000, wait_ns_);
}

double LoopLag::TakeMax() {
  const std::uint64_t worst = std::max(max_ns_, BusySoFar(uv_hrtime()));
  max_ns_ = 0;
  return static_cast<double>(worst) / 1e9;
}

}  // namespace sup::daemon::http
