// Numbers as /proc and cgroup files write them (shared by the status and resources readers).
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace sup {

// `text` as one whole decimal number: nullopt when it is empty, holds anything else, or is out
// of T's range.
template <class T>
std::optional<T> ParseNumber(std::string_view text) {
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace sup
