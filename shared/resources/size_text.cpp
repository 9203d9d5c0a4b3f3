#include "resources/size_text.h"

#include <cmath>
#include <cstdio>

namespace sup::resources {

std::string FormatBytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (value < 10 && std::floor(value) != value && unit > 0) {
    std::snprintf(buf, sizeof(buf), "%.1f%s", std::floor(value * 10) / 10, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f%s", std::round(value), kUnits[unit]);
  }
  return buf;
}

}  // namespace sup::resources
