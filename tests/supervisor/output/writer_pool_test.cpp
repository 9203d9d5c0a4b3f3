// WriterPool starts its threads as work needs them: none for a pool nobody writes to, one for
// sinks written one at a time, another only while every started thread is busy.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "output/writer_pool.h"
#include "output_test_util.h"

using namespace sup::daemon::output;
using namespace sup::daemon::output::testing;
using namespace std::chrono_literals;

TEST_CASE("WriterPool: nothing written -> no thread started", "[output][pool]") {
  WriterPool pool(2);
  auto state = std::make_shared<FakeSink::State>();
  auto channel = pool.AddChannel(std::make_unique<FakeSink>(state));
  CHECK(pool.Flush(1s));
  CHECK(pool.threads_started() == 0);
  pool.Stop(1s);
  CHECK(pool.threads_started() == 0);
}

TEST_CASE("WriterPool: sinks written one at a time -> one thread for all of them", "[output][pool]") {
  WriterPool pool(3);
  auto a = std::make_shared<FakeSink::State>();
  auto b = std::make_shared<FakeSink::State>();
  auto to_a = pool.AddChannel(std::make_unique<FakeSink>(a));
  auto to_b = pool.AddChannel(std::make_unique<FakeSink>(b));
  std::string want_a, want_b;
  for (int i = 0; i < 50; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    (i % 2 == 0 ? want_a : want_b) += line;
    (i % 2 == 0 ? to_a : to_b)->Push(line, nullptr);
    REQUIRE(pool.Flush(5s));  // the thread is free again before Flush returns
  }
  CHECK(pool.threads_started() == 1);
  CHECK(FakeSink::Data(*a) == want_a);
  CHECK(FakeSink::Data(*b) == want_b);
}

TEST_CASE("WriterPool: sinks blocked in a write -> the next ones get threads, up to the limit", "[output][pool]") {
  WriterPool pool(2);
  auto a = std::make_shared<FakeSink::State>();
  auto b = std::make_shared<FakeSink::State>();
  auto c = std::make_shared<FakeSink::State>();
  FakeSink::SetGate(*a, false);
  FakeSink::SetGate(*b, false);
  auto to_a = pool.AddChannel(std::make_unique<FakeSink>(a));
  auto to_b = pool.AddChannel(std::make_unique<FakeSink>(b));
  auto to_c = pool.AddChannel(std::make_unique<FakeSink>(c));
  to_a->Push("a\n", nullptr);
  to_b->Push("b\n", nullptr);
  to_c->Push("c\n", nullptr);
  // Both threads are held by a and b; c waits for one rather than getting a third.
  CHECK_FALSE(pool.Flush(50ms));
  CHECK(pool.threads_started() == 2);
  CHECK(FakeSink::Data(*c).empty());
  FakeSink::SetGate(*a, true);
  FakeSink::SetGate(*b, true);
  REQUIRE(pool.Flush(5s));
  CHECK(FakeSink::Data(*a) == "a\n");
  CHECK(FakeSink::Data(*b) == "b\n");
  CHECK(FakeSink::Data(*c) == "c\n");
  CHECK(pool.threads_started() == 2);
}
