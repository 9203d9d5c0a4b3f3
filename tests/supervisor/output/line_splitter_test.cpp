#include "output/line_splitter.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using sup::daemon::output::LineSplitter;

namespace {

struct Collector {
  std::vector<std::string> lines;
  LineSplitter::Emit emit() {
    return [this](std::string_view l) { lines.emplace_back(l); };
  }
};

}  // namespace

TEST_CASE("LineSplitter: whole lines in one chunk -> each emitted without its newline", "[output][splitter]") {
  LineSplitter s;
  Collector c;
  s.Feed("a\nbb\n\nccc\n", c.emit());
  CHECK(c.lines == std::vector<std::string>{"a", "bb", "", "ccc"});
  CHECK(s.pending() == 0);
}

TEST_CASE("LineSplitter: a partial line is carried to the next chunk", "[output][splitter]") {
  LineSplitter s;
  Collector c;
  s.Feed("hel", c.emit());
  CHECK(c.lines.empty());
  CHECK(s.pending() == 3);
  s.Feed("lo wo", c.emit());
  s.Feed("rld\nnext", c.emit());
  CHECK(c.lines == std::vector<std::string>{"hello world"});
  s.Feed("\n", c.emit());
  CHECK(c.lines == std::vector<std::string>{"hello world", "next"});
}

TEST_CASE("LineSplitter: a line over 64 KiB -> split into 64 KiB lines", "[output][splitter]") {
  LineSplitter s;
  Collector c;
  const std::string big(LineSplitter::kMaxLine * 2 + 10, 'x');
  s.Feed(big + "\n", c.emit());
  REQUIRE(c.lines.size() == 3);
  CHECK(c.lines[0].size() == LineSplitter::kMaxLine);
  CHECK(c.lines[1].size() == LineSplitter::kMaxLine);
  CHECK(c.lines[2].size() == 10);
}

TEST_CASE("LineSplitter: a long line arriving in small chunks -> split at the limit", "[output][splitter]") {
  LineSplitter s(8);
  Collector c;
  for (char ch : std::string("abcdefghijklmnopqrst\nz\n")) s.Feed(std::string_view(&ch, 1), c.emit());
  CHECK(c.lines == std::vector<std::string>{"abcdefgh", "ijklmnop", "qrst", "z"});
}

TEST_CASE("LineSplitter: a line of exactly the limit, newline in the next chunk -> one line", "[output][splitter]") {
  LineSplitter s(4);
  Collector c;
  s.Feed("abcd", c.emit());
  s.Feed("\nef\n", c.emit());
  CHECK(c.lines == std::vector<std::string>{"abcd", "ef"});
  s.Feed("gh", c.emit());
  s.Feed("ij", c.emit());
  s.Feed("k\n", c.emit());
  CHECK(c.lines == std::vector<std::string>{"abcd", "ef", "ghij", "k"});
}

TEST_CASE("LineSplitter: EOF -> the final partial line is flushed once", "[output][splitter]") {
  LineSplitter s;
  Collector c;
  s.Feed("one\ntwo", c.emit());
  s.Finish(c.emit());
  s.Finish(c.emit());
  CHECK(c.lines == std::vector<std::string>{"one", "two"});
}

TEST_CASE("LineSplitter: EOF after a complete line -> nothing extra", "[output][splitter]") {
  LineSplitter s;
  Collector c;
  s.Feed("one\n", c.emit());
  s.Finish(c.emit());
  CHECK(c.lines == std::vector<std::string>{"one"});
}
