#include <catch2/catch.hpp>

#include <string>

#include "protocol/line_framer.h"

using sup::protocol::LineFramer;

TEST_CASE("LineFramer: bytes split across feeds -> whole lines in order", "[protocol][framer]") {
  LineFramer framer(100);
  CHECK(framer.Feed("{\"id\":1").empty());
  CHECK(framer.buffered() == 7);
  auto items = framer.Feed("}\n{\"id\":2}\n{\"id");
  REQUIRE(items.size() == 2);
  CHECK(items[0].line == "{\"id\":1}");
  CHECK(items[1].line == "{\"id\":2}");
  CHECK_FALSE(items[0].oversize);
  items = framer.Feed("\":3}\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].line == "{\"id\":3}");
  CHECK(framer.buffered() == 0);
}

TEST_CASE("LineFramer: CRLF line ending -> the carriage return is dropped", "[protocol][framer]") {
  LineFramer framer(100);
  auto items = framer.Feed("abc\r\n\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].line == "abc");
  CHECK(items[1].line.empty());
}

TEST_CASE("LineFramer: a line of exactly the limit -> accepted", "[protocol][framer]") {
  LineFramer framer(8);
  auto items = framer.Feed("12345678\n");
  REQUIRE(items.size() == 1);
  CHECK_FALSE(items[0].oversize);
  CHECK(items[0].line == "12345678");
}

TEST_CASE("LineFramer: a line over the limit -> reported once when crossed, never buffered",
          "[protocol][framer]") {
  LineFramer framer(8);
  CHECK(framer.Feed("12345").empty());
  auto items = framer.Feed("6789");  // crosses the limit without a newline yet
  REQUIRE(items.size() == 1);
  CHECK(items[0].oversize);
  CHECK(framer.buffered() == 0);
  CHECK(framer.Feed(std::string(10000, 'x')).empty());  // still the same line: dropped
  CHECK(framer.buffered() == 0);
  items = framer.Feed("tail\nok\n");
  REQUIRE(items.size() == 1);
  CHECK_FALSE(items[0].oversize);
  CHECK(items[0].line == "ok");
}

TEST_CASE("LineFramer: an oversize line complete in one feed -> one oversize item, then the next line",
          "[protocol][framer]") {
  LineFramer framer(4);
  auto items = framer.Feed("toolong\nfine\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].oversize);
  CHECK(items[1].line == "fine");
}

TEST_CASE("LineFramer: a 1 MiB + 1 byte request -> oversize", "[protocol][framer]") {
  LineFramer framer(1 << 20);
  std::string big((1 << 20) + 1, 'a');
  auto items = framer.Feed(big);
  REQUIRE(items.size() == 1);
  CHECK(items[0].oversize);
}
