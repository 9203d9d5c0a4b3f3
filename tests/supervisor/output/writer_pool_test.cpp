// WriterPool starts its threads as work needs them: none for a pool nobody writes to, one for
// sinks written one at a time, another only while every started thread is busy.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

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

// Sanitizers reserve terabytes of address space up front: an address-space limit cannot be set
// just above what the process uses, so the sanitizer builds leave this test out.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SUP_NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SUP_NO_AS_LIMIT 1
#endif
#endif

#ifndef SUP_NO_AS_LIMIT
TEST_CASE("WriterPool: a thread that cannot be started -> no crash, the lines wait and are written once one can", "[output][pool]") {
  // In a child: the limit is process-wide and could not be given back to this test binary.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto result = [] {
      WriterPool pool(1);
      auto state = std::make_shared<FakeSink::State>();
      auto channel = pool.AddChannel(std::make_unique<FakeSink>(state));
      rlimit before{};
      getrlimit(RLIMIT_AS, &before);
      long pages = 0;
      if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
        std::fclose(f);
      }
      if (pages == 0) return 1;
      // A stack larger than any this test binary's earlier threads left in glibc's stack
      // cache, so that the thread needs a new mapping; room for small allocations only.
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setstacksize(&attr, 64u << 20);
      pthread_setattr_default_np(&attr);
      pthread_attr_destroy(&attr);
      rlimit tight = before;
      tight.rlim_cur = static_cast<rlim_t>(pages) * 4096 + (2u << 20);
      if (setrlimit(RLIMIT_AS, &tight) != 0) return 2;
      channel->Push("first\n", nullptr);
      const bool flushed = pool.Flush(50ms);
      const int started = pool.threads_started();
      setrlimit(RLIMIT_AS, &before);
      if (flushed || started != 0) return 3;
      channel->Push("second\n", nullptr);  // the next line tries again, and now succeeds
      if (!pool.Flush(5s) || pool.threads_started() != 1) return 4;
      return FakeSink::Data(*state) == "first\nsecond\n" ? 0 : 5;
    }();
    _exit(result);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif  // SUP_NO_AS_LIMIT

TEST_CASE("WriterPool: a sink that is full -> block keeps the lines, in order, and retries each second, with the thread left free", "[output][pool]") {
  WriterPool pool(1);
  auto full = std::make_shared<FakeSink::State>();
  auto other = std::make_shared<FakeSink::State>();
  FakeSink::SetRoom(*full, 6);  // "a\nb\nc\n" fits, nothing more
  auto to_full = pool.AddChannel(std::make_unique<FakeSink>(full));
  auto to_other = pool.AddChannel(std::make_unique<FakeSink>(other));
  auto budget = std::make_shared<QueueBudget>();
  budget->dropped = std::make_shared<std::atomic<std::uint64_t>>(0);
  to_full->Push("a\nb\nc\nd\ne\n", budget);
  to_full->Push("f\n", budget);
  CHECK_FALSE(pool.Flush(300ms));         // d, e, f wait for room
  CHECK(budget->queued.load() == 6);      // and stay charged: the producer stays paused
  to_other->Push("x\n", nullptr);         // the one thread is not held by the full sink
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (FakeSink::Data(*other) != "x\n" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(FakeSink::Data(*other) == "x\n");
  FakeSink::SetRoom(*full, std::nullopt);  // space again: written at the next retry
  REQUIRE(pool.Flush(5s));
  CHECK(FakeSink::Data(*full) == "a\nb\nc\nd\ne\nf\n");
  CHECK(budget->queued.load() == 0);
  CHECK(budget->dropped->load() == 0);
}

TEST_CASE("WriterPool: a sink that is full -> drop counts the lines it could not take and moves on", "[output][pool]") {
  WriterPool pool(1);
  auto full = std::make_shared<FakeSink::State>();
  FakeSink::SetRoom(*full, 4);
  auto channel = pool.AddChannel(std::make_unique<FakeSink>(full));
  auto budget = std::make_shared<QueueBudget>();
  budget->drop = true;
  budget->dropped = std::make_shared<std::atomic<std::uint64_t>>(0);
  channel->Push("a\nb\nc\nd\ne\n", budget);
  REQUIRE(pool.Flush(5s));
  CHECK(FakeSink::Data(*full) == "a\nb\n");
  CHECK(budget->dropped->load() == 3);
  CHECK(budget->queued.load() == 0);
  pool.Stop(1s);  // with nothing delayed the thread exits at once
}

TEST_CASE("WriterPool: lines held for want of space -> a reopen posted later does not wait behind them", "[output][pool]") {
  WriterPool pool(1);
  auto full = std::make_shared<FakeSink::State>();
  FakeSink::SetRoom(*full, 0);
  auto channel = pool.AddChannel(std::make_unique<FakeSink>(full));
  auto budget = std::make_shared<QueueBudget>();
  channel->Push("held\n", budget);
  channel->Post([](LogSink& sink) { sink.Reopen(); });  // USR1 after the operator freed space
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto reopens = [&] {
    std::lock_guard lock(full->mu);
    return full->reopens;
  };
  while (reopens() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(reopens() == 1);
  CHECK(FakeSink::Data(*full).empty());  // the line is still held, not lost
  FakeSink::SetRoom(*full, std::nullopt);
  REQUIRE(pool.Flush(5s));
  CHECK(FakeSink::Data(*full) == "held\n");
}
