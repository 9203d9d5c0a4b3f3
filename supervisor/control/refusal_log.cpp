#include "control/refusal_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sup::daemon::control {

RefusalLog::RefusalLog(uv_loop_t& loop) : loop_(loop) {
  auto* timer = new uv_timer_t;
  if (uv_timer_init(&loop_, timer) != 0) {
    delete timer;  // no summary timer: summaries then come with the uid's next refusal
    return;
  }
  timer_.reset(timer);
  timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(timer));  // a pending summary never keeps the loop alive
}

void RefusalLog::Warn(uid_t uid, const std::string& line) {
  const uint64_t now = uv_now(&loop_);
  Expire(now);
  auto [it, fresh] = windows_.try_emplace(uid, Window{now, 0, 0});
  Window& w = it->second;
  if (w.logged < kPerSecond) {
    ++w.logged;
    spdlog::warn("{}", line);
  } else {
    ++w.suppressed;
  }
  if (fresh) Arm(now);
}

void RefusalLog::Expire(uint64_t now) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    const Window& w = it->second;
    if (now - w.start_ms < kWindowMs) {
      ++it;
      continue;
    }
    if (w.suppressed > 0) {
      spdlog::warn("control: {} more refused requests from uid {} in one second were not logged",
                   w.suppressed, it->first);
    }
    it = windows_.erase(it);
  }
}

void RefusalLog::Arm(uint64_t now) {
  if (!timer_ || windows_.empty()) return;
  uint64_t first_end = UINT64_MAX;
  for (const auto& [uid, w] : windows_) first_end = std::min(first_end, w.start_ms + kWindowMs);
  uv_timer_start(timer_.get(), OnTimer, first_end > now ? first_end - now : 0, 0);
}

void RefusalLog::OnTimer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<RefusalLog*>(timer->data);
  if (self == nullptr) return;
  const uint64_t now = uv_now(&self->loop_);
  self->Expire(now);
  self->Arm(now);
}

}  // namespace sup::daemon::control
