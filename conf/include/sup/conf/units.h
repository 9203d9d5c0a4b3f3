// The value syntaxes of sup.toml that are not TOML's own: durations, sizes and signal names.
// Shared by the loader, supd's flags (--stop-timeout) and supctl (--timeout, `signal`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sup/conf/config.h"

namespace sup::conf {

// "250ms", "10s", "5m", "1h", "1d", "1.5s", "1m30s", "0"; a bare number is seconds.
// Negative, empty or unknown units -> nullopt.
std::optional<Duration> ParseDuration(std::string_view s);

// "64KiB", "50MB", "1GiB", "100", "100B": KB/MB/GB/TB = 10^3n, KiB/MiB/GiB/TiB = 2^10n;
// units are case-insensitive. Overflow -> nullopt.
std::optional<std::uint64_t> ParseSize(std::string_view s);

// "TERM", "SIGTERM", "term", "15" -> 15; unknown names or numbers out of range -> nullopt.
std::optional<int> ParseSignal(std::string_view s);

// 15 -> "TERM"; a number without a name -> the number as text.
std::string SignalName(int sig);

// The shortest form ParseDuration reads back: 1500ms -> "1.5s", 90000ms -> "1m30s",
// 250ms -> "250ms", 0 -> "0s".
std::string FormatDuration(Duration d);

}  // namespace sup::conf
