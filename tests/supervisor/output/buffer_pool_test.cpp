// BufferPool hands back the buffers the writers are done with (same memory, emptied), keeps no
// more than its bounds, and a channel's writer gives each written batch back to it.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "output/buffer_pool.h"
#include "output/writer_pool.h"
#include "output_test_util.h"

using namespace sup::daemon::output;
using namespace sup::daemon::output::testing;
using namespace std::chrono_literals;

TEST_CASE("BufferPool: a buffer given back -> the next Take returns its memory, emptied", "[output][buffers]") {
  BufferPool pool(4, 64 * 1024);
  std::string a = pool.Take(16 * 1024);
  CHECK(a.empty());
  CHECK(a.capacity() >= 64 * 1024);  // every buffer of the pool is at least the pool's size
  a.assign(1000, 'x');
  const char* memory = a.data();
  pool.Give(std::move(a));
  CHECK(pool.kept() == 1);
  std::string b = pool.Take(60 * 1024);
  CHECK(b.data() == memory);
  CHECK(b.empty());
  CHECK(pool.kept() == 0);
}

TEST_CASE("BufferPool: more asked than the pool's size -> a buffer that large", "[output][buffers]") {
  BufferPool pool(4, 64 * 1024);
  pool.Give(pool.Take(0));
  const std::string b = pool.Take(100 * 1024);
  CHECK(b.capacity() >= 100 * 1024);
  CHECK(b.empty());
}

TEST_CASE("BufferPool: more given back than it keeps -> the rest are freed", "[output][buffers]") {
  BufferPool pool(2, 4096);
  std::string held[3] = {pool.Take(4096), pool.Take(4096), pool.Take(4096)};
  for (auto& h : held) pool.Give(std::move(h));
  CHECK(pool.kept() == 2);
  CHECK(pool.kept_bytes() <= 2 * 8192);
}

TEST_CASE("BufferPool: a buffer smaller than the pool's size or grown past twice it -> freed, not kept", "[output][buffers]") {
  BufferPool pool(4, 64 * 1024);
  pool.Give(pool.Take(1 << 20));
  CHECK(pool.kept() == 0);
  pool.Give(std::string(100, 'x'));
  CHECK(pool.kept() == 0);
  pool.Give(pool.Take(32 * 1024));
  CHECK(pool.kept() == 1);
  CHECK(pool.kept_bytes() <= 128 * 1024);
}

TEST_CASE("BufferPool: a small batch and none kept -> a buffer of its size, not of the pool's", "[output][buffers]") {
  BufferPool pool(4, 64 * 1024);
  std::string small = pool.Take(1000);
  CHECK(small.capacity() >= 1000);
  CHECK(small.capacity() < 16 * 1024);
  pool.Give(std::move(small));
  CHECK(pool.kept() == 0);  // freed: smaller than the pool's buffers
  // One kept: a small batch takes it (its pages are resident already).
  pool.Give(pool.Take(64 * 1024));
  REQUIRE(pool.kept() == 1);
  CHECK(pool.Take(1000).capacity() >= 64 * 1024);
  CHECK(pool.kept() == 0);
}

TEST_CASE("SinkChannel: a batch written -> its buffer is reused by the next TakeBuffer", "[output][buffers]") {
  WriterPool pool(1);
  auto state = std::make_shared<FakeSink::State>();
  auto channel = pool.AddChannel(std::make_unique<FakeSink>(state));
  std::string batch = channel->TakeBuffer(128 * 1024);
  const char* memory = batch.data();
  batch += "one\n";
  channel->Push(std::move(batch), nullptr);
  REQUIRE(pool.Flush(5s));
  std::string next = channel->TakeBuffer(128 * 1024);
  CHECK(next.data() == memory);
  CHECK(next.empty());
  next += "two\n";
  channel->Push(std::move(next), nullptr);
  REQUIRE(pool.Flush(5s));
  CHECK(FakeSink::Data(*state) == "one\ntwo\n");
  pool.Stop(1s);
}
