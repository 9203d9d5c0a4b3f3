// supd's warnings about refused requests (permission_denied, busy, bad_request), rate-limited
// per peer uid (SPEC §9.1 Log flooding): at most kPerSecond lines in a window of one second,
// then one line with the number suppressed when the window ends. Without this one
// unprivileged connection could write megabytes of warnings a second. Loop thread only.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <map>
#include <string>

#include "loop/uv_handle.h"

namespace sup::daemon::control {

class RefusalLog {
 public:
  static constexpr unsigned kPerSecond = 10;
  static constexpr uint64_t kWindowMs = 1000;

  explicit RefusalLog(uv_loop_t& loop);

  // Logs `line` as a warning unless uid used up its window's share.
  void Warn(uid_t uid, const std::string& line);

 private:
  struct Window {
    uint64_t start_ms = 0;
    unsigned logged = 0;
    uint64_t suppressed = 0;
  };
  static void OnTimer(uv_timer_t* timer) noexcept;
  // Ends the windows that are over (a summary line for each that suppressed something).
  void Expire(uint64_t now);
  // One-shot timer for the end of the earliest window: the summary must not wait for the
  // next refusal, which may never come. Nothing runs once every window is over.
  void Arm(uint64_t now);

  uv_loop_t& loop_;
  UvHandle<uv_timer_t> timer_;
  std::map<uid_t, Window> windows_;
};

}  // namespace sup::daemon::control
