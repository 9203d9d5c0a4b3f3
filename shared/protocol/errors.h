// The control protocol's constants (SPEC §6): the closed set of error codes, the protocol
// version and the size limit of a line. Shared by supd and supctl.
#pragma once

#include <cstddef>
#include <string_view>

namespace sup::protocol {

inline constexpr int kProtocolVersion = 1;

// A request line longer than this is refused and the connection closed (SPEC §6).
inline constexpr std::size_t kMaxRequestLine = 1 << 20;

namespace code {
inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kUnknownCommand = "unknown_command";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kPermissionDenied = "permission_denied";
inline constexpr std::string_view kBusy = "busy";
inline constexpr std::string_view kShuttingDown = "shutting_down";
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kConfigError = "config_error";
}  // namespace code

// True for the nine codes above and nothing else.
inline bool IsErrorCode(std::string_view c) {
  for (auto known : {code::kBadRequest, code::kUnknownCommand, code::kNotFound,
                     code::kPermissionDenied, code::kBusy, code::kShuttingDown, code::kTimeout,
                     code::kFailed, code::kConfigError}) {
    if (c == known) return true;
  }
  return false;
}

}  // namespace sup::protocol
