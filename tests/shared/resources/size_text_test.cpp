#include "resources/size_text.h"

#include <catch2/catch.hpp>

using sup::resources::FormatBytes;

TEST_CASE("FormatBytes writes binary units as the memory_max reason shows them") {
  CHECK(FormatBytes(0) == "0B");
  CHECK(FormatBytes(1023) == "1023B");
  CHECK(FormatBytes(1536) == "1.5KiB");
  CHECK(FormatBytes(512ull << 20) == "512MiB");
  CHECK(FormatBytes(555745280) == "530MiB");
  CHECK(FormatBytes(3ull << 30) == "3GiB");
  CHECK(FormatBytes((1ull << 30) + (1ull << 29)) == "1.5GiB");
}
