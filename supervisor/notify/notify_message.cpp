#include "notify/notify_message.h"

#include <charconv>
#include <limits>

namespace sup::daemon {
namespace {

template <class T>
std::optional<T> ParseUnsigned(std::string_view text) {
  T value{};
  if (text.empty() || text.front() == '-' || text.front() == '+') return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Cuts at most kMaxNotifyStatus bytes without splitting a UTF-8 sequence.
std::string CutStatus(std::string_view text) {
  if (text.size() <= kMaxNotifyStatus) return std::string(text);
  std::size_t end = kMaxNotifyStatus;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

}  // namespace

std::optional<NotifyMessage> ParseNotify(std::string_view payload) {
  if (payload.find('\0') != std::string_view::npos) return std::nullopt;
  NotifyMessage m;
  while (!payload.empty()) {
    const std::size_t nl = payload.find('\n');
    const std::string_view line = payload.substr(0, nl);
    payload = nl == std::string_view::npos ? std::string_view() : payload.substr(nl + 1);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "READY") {
      if (value == "1") m.ready = true;
    } else if (key == "RELOADING") {
      if (value == "1") m.reloading = true;
    } else if (key == "STOPPING") {
      if (value == "1") m.stopping = true;
    } else if (key == "STATUS") {
      m.status = CutStatus(value);
    } else if (key == "WATCHDOG") {
      if (value == "1") m.watchdog_ping = true;
      else if (value == "trigger") m.watchdog_trigger = true;
    } else if (key == "EXTEND_TIMEOUT_USEC") {
      if (auto v = ParseUnsigned<std::uint64_t>(value)) m.extend_timeout_usec = v;
    } else if (key == "MAINPID") {
      if (auto v = ParseUnsigned<std::uint32_t>(value);
          v && *v > 0 && *v <= static_cast<std::uint32_t>(std::numeric_limits<pid_t>::max())) {
        m.main_pid = static_cast<pid_t>(*v);
      }
    } else if (key == "ERRNO") {
      if (auto v = ParseUnsigned<std::uint32_t>(value);
          v && *v <= static_cast<std::uint32_t>(std::numeric_limits<int>::max())) {
        m.error = static_cast<int>(*v);
      }
    } else if (key == "BARRIER") {
      if (value == "1") m.barrier = true;
    }
  }
  return m;
}

}  // namespace sup::daemon
