#include "output/log_ring.h"

#include <catch2/catch.hpp>
#include <string>

using namespace sup::daemon::output;
using std::chrono::system_clock;

namespace {
const system_clock::time_point kT0 = system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
}

TEST_CASE("LogRing: no output yet -> no buffer allocated", "[output][ring]") {
  LogRing ring(64 * 1024);
  CHECK_FALSE(ring.allocated());
  CHECK(ring.Tail(10).empty());
  ring.Append(Stream::kStdout, kT0, "x");
  CHECK(ring.allocated());
}

TEST_CASE("LogRing: tail returns the last n records oldest first with stream and time", "[output][ring]") {
  LogRing ring(4096);
  for (int i = 0; i < 10; ++i)
    ring.Append(i % 2 ? Stream::kStderr : Stream::kStdout, kT0 + std::chrono::milliseconds(i),
                "line " + std::to_string(i));
  const auto tail = ring.Tail(3);
  REQUIRE(tail.size() == 3);
  CHECK(tail[0].line == "line 7");
  CHECK(tail[0].stream == Stream::kStderr);
  CHECK(tail[0].time == kT0 + std::chrono::milliseconds(7));
  CHECK(tail[2].line == "line 9");
  CHECK(ring.Tail(100).size() == 10);
}

TEST_CASE("LogRing: stream filter -> only that stream's records", "[output][ring]") {
  LogRing ring(4096);
  for (int i = 0; i < 10; ++i)
    ring.Append(i % 2 ? Stream::kStderr : Stream::kStdout, kT0, std::to_string(i));
  const auto err = ring.Tail(2, Stream::kStderr);
  REQUIRE(err.size() == 2);
  CHECK(err[0].line == "7");
  CHECK(err[1].line == "9");
  const auto out = ring.Tail(100, Stream::kStdout);
  REQUIRE(out.size() == 5);
  CHECK(out[0].line == "0");
}

TEST_CASE("LogRing: over capacity -> oldest evicted, wrap keeps bytes intact", "[output][ring]") {
  const std::size_t cap = 10 * (LogRing::kRecordOverhead + 7) + 5;  // not a multiple: forces wrap
  LogRing ring(cap);
  for (int i = 0; i < 1000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "l%06d", i);
    ring.Append(Stream::kStdout, kT0 + std::chrono::milliseconds(i), buf);
    CHECK(ring.used() <= cap);
  }
  const auto all = ring.Tail(1000);
  REQUIRE(all.size() == 10);
  for (int k = 0; k < 10; ++k) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "l%06d", 990 + k);
    CHECK(all[k].line == buf);
    CHECK(all[k].time == kT0 + std::chrono::milliseconds(990 + k));
  }
}

TEST_CASE("LogRing: a line larger than the ring -> kept truncated to what fits", "[output][ring]") {
  LogRing ring(LogRing::kRecordOverhead + 4);
  ring.Append(Stream::kStdout, kT0, "abcdefgh");
  const auto t = ring.Tail(5);
  REQUIRE(t.size() == 1);
  CHECK(t[0].line == "abcd");
}

TEST_CASE("LogRing: capacity 0 -> keeps nothing", "[output][ring]") {
  LogRing ring(0);
  ring.Append(Stream::kStdout, kT0, "x");
  CHECK(ring.Tail(5).empty());
  CHECK_FALSE(ring.allocated());
}

TEST_CASE("LogRing: resize smaller -> the newest records that fit are kept", "[output][ring]") {
  LogRing ring(4096);
  for (int i = 0; i < 20; ++i) ring.Append(Stream::kStdout, kT0, "rec" + std::to_string(i));
  ring.Resize(3 * (LogRing::kRecordOverhead + 5));
  const auto t = ring.Tail(100);
  REQUIRE(t.size() == 3);
  CHECK(t[0].line == "rec17");
  CHECK(t[2].line == "rec19");
}
