// Byte counts as people read them, in binary units: the MEM columns of `status` and `top`,
// and the memory_max reason ("memory limit 512MiB exceeded (used 530MiB)"). Pure.
#pragma once

#include <cstdint>
#include <string>

namespace sup::resources {

// 0 -> "0B", 1536 -> "1.5KiB", 536870912 -> "512MiB", 555745280 -> "530MiB": the largest unit
// that keeps the figure >= 1, one decimal below 10 when it is not whole, else rounded.
std::string FormatBytes(std::uint64_t bytes);

}  // namespace sup::resources
