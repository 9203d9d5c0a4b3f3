#include "output/log_ring.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
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

// ASan and TSan abort on an allocation this size instead of failing it (allocator_may_return_null).
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST_CASE("LogRing: a buffer that cannot be allocated -> the ring is off, no exception, and a resize tries again",
          "[output][ring]") {
  LogRing ring(std::size_t{1} << 62);  // 4 EiB: more than any address space
  CHECK_FALSE(ring.off());
  CHECK_NOTHROW(ring.Append(Stream::kStdout, kT0, "lost to the ring only"));
  CHECK(ring.off());
  CHECK_FALSE(ring.allocated());
  CHECK(ring.Tail(10).empty());
  CHECK_NOTHROW(ring.Append(Stream::kStderr, kT0, "again"));
  ring.Resize(4096);
  CHECK_FALSE(ring.off());
  ring.Append(Stream::kStdout, kT0, "kept");
  REQUIRE(ring.Tail(10).size() == 1);
  CHECK(ring.Tail(10)[0].line == "kept");
}
#endif

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

// Against a plain model, with line lengths and a capacity chosen so that records, headers and
// even a header's length field are cut by the end of the buffer at every possible offset.
TEST_CASE("LogRing: records of every length wrapping at every offset -> the model's tail", "[output][ring]") {
  const std::size_t cap = 97;  // prime: the write position visits every offset
  LogRing ring(cap);
  std::deque<std::pair<std::string, std::int64_t>> model;
  std::size_t model_used = 0;
  std::uint32_t seed = 12345;
  for (int i = 0; i < 5000; ++i) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t len = (seed >> 16) % 40;  // 0 .. 39 bytes
    std::string line(len, static_cast<char>('a' + i % 26));
    if (len > 0) line[0] = static_cast<char>('A' + i % 26);
    ring.Append(Stream::kStdout, kT0 + std::chrono::milliseconds(i), line);
    model.emplace_back(line, i);
    model_used += LogRing::kRecordOverhead + len;
    while (model_used > cap) {
      model_used -= LogRing::kRecordOverhead + model.front().first.size();
      model.pop_front();
    }
    REQUIRE(ring.used() == model_used);
    const auto tail = ring.Tail(1000);
    REQUIRE(tail.size() == model.size());
    for (std::size_t k = 0; k < tail.size(); ++k) {
      REQUIRE(tail[k].line == model[k].first);
      REQUIRE(tail[k].time == kT0 + std::chrono::milliseconds(model[k].second));
    }
  }
}

// AppendLines must leave exactly what Append line by line leaves: runs smaller and larger than
// the ring, after records that survive or not, with empty lines, and a last line too large to
// fit whole (kept truncated, as Append keeps it).
TEST_CASE("LogRing: AppendLines -> the same records as Append line by line", "[output][ring]") {
  for (const std::size_t cap : {std::size_t{0}, std::size_t{13}, std::size_t{14}, std::size_t{97},
                                std::size_t{500}, std::size_t{4096}}) {
    LogRing bulk(cap), single(cap);
    std::uint32_t seed = 777;
    for (int round = 0; round < 300; ++round) {
      seed = seed * 1103515245u + 12345u;
      const int lines = static_cast<int>((seed >> 16) % 60);
      std::string run;
      for (int k = 0; k < lines; ++k) {
        seed = seed * 1103515245u + 12345u;
        std::size_t len = (seed >> 16) % 50;
        if ((seed >> 8) % 97 == 0) len = cap + 20;  // one line over the whole ring
        std::string line(len, static_cast<char>('a' + (round + k) % 26));
        if (len > 0) line[0] = static_cast<char>('A' + k % 26);
        run += line + '\n';
      }
      const auto t = kT0 + std::chrono::milliseconds(round);
      const Stream s = round % 3 ? Stream::kStdout : Stream::kStderr;
      bulk.AppendLines(s, t, run);
      for (std::size_t at = 0; at < run.size();) {
        const std::size_t nl = run.find('\n', at);
        single.Append(s, t, std::string_view(run).substr(at, nl - at));
        at = nl + 1;
      }
      REQUIRE(bulk.used() == single.used());
      REQUIRE(bulk.records() == single.records());
      const auto a = bulk.Tail(100'000), b = single.Tail(100'000);
      REQUIRE(a.size() == b.size());
      for (std::size_t k = 0; k < a.size(); ++k) {
        REQUIRE(a[k].line == b[k].line);
        REQUIRE(a[k].stream == b[k].stream);
        REQUIRE(a[k].time == b[k].time);
      }
      // Records appended after a replaced ring wrap around from the buffer's end.
      bulk.Append(Stream::kStdout, t, "after");
      single.Append(Stream::kStdout, t, "after");
    }
  }
}
