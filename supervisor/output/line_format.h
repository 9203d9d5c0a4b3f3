// How a captured line looks in each sink: RFC 3339 UTC millisecond timestamps, the forwarded
// "name | line" prefix, and the one-object-per-line JSON form. Pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "output/log_sink.h"

namespace sup::daemon::output {

// "2026-11-24T08:00:00.123Z"
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

// "web:1 | " with `name` padded with spaces to `width` (no padding when shorter or 0).
std::string ForwardPrefix(std::string_view name, std::size_t width);

// Appends {"time","program","instance","stream","line"} and '\n' to `out`. `time` is an
// already formatted RFC 3339 string; invalid UTF-8 in `line` is replaced, never thrown on.
void AppendJsonLine(std::string& out, std::string_view time, std::string_view program,
                    int instance, Stream stream, std::string_view line);

}  // namespace sup::daemon::output
