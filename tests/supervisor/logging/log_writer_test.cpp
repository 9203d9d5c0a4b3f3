// StderrWriterSink writes supd's log lines from its own thread. Lines logged on the loop
// thread may wait for the loop's WakeIfPending(); none is ever lost or reordered.
#include "logging/log_writer.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

using sup::daemon::StderrWriterSink;

namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    read_end = fds[0];
    write_end = fds[1];
    fcntl(read_end, F_SETPIPE_SZ, 1 << 20);  // room for the 64 KiB test without a reader
  }
  ~Pipe() {
    close(read_end);
    if (write_end >= 0) close(write_end);
  }
  // What arrives within `ms` (stops early once `want` bytes came).
  std::string Read(int ms, std::size_t want = SIZE_MAX) const {
    std::string out;
    char buf[65536];
    while (out.size() < want) {
      pollfd p{read_end, POLLIN, 0};
      if (poll(&p, 1, ms) <= 0) break;
      const ssize_t n = read(read_end, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

std::shared_ptr<spdlog::logger> LoggerOn(std::shared_ptr<StderrWriterSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("test", std::move(sink));
  logger->set_pattern("%v");
  return logger;
}

// A sink writing into a pipe, and a logger on it ("%v": the message alone).
struct Logged {
  Pipe pipe;
  std::shared_ptr<StderrWriterSink> sink = std::make_shared<StderrWriterSink>(pipe.write_end);
  std::shared_ptr<spdlog::logger> logger = LoggerOn(sink);

  void DeferHere() { sink->DeferWakeUpsOn(std::this_thread::get_id()); }
};

}  // namespace

TEST_CASE("StderrWriterSink: a line is written at once when wake-ups are not deferred", "[logging]") {
  Logged t;
  t.logger->info("one");
  CHECK(t.pipe.Read(5'000, 4) == "one\n");
}

TEST_CASE("StderrWriterSink: deferred lines wait for WakeIfPending, then come in order", "[logging]") {
  Logged t;
  // The writer must be asleep first: a thread that has not reached its wait yet (it has just
  // been started, or has just written) finds queued lines without being woken.
  t.logger->info("awake");
  REQUIRE(t.pipe.Read(5'000, 6) == "awake\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  t.DeferHere();
  t.logger->info("a");
  t.logger->info("b");
  CHECK(t.pipe.Read(100).empty());  // nobody woke the writer
  t.sink->WakeIfPending();
  CHECK(t.pipe.Read(5'000, 4) == "a\nb\n");
}

TEST_CASE("StderrWriterSink: a line from another thread wakes the writer even while deferring", "[logging]") {
  Logged t;
  t.DeferHere();
  t.logger->info("deferred");
  std::thread([&] { t.logger->info("other"); }).join();
  CHECK(t.pipe.Read(5'000, 15) == "deferred\nother\n");
}

TEST_CASE("StderrWriterSink: every 64 KiB of deferred lines wakes the writer without WakeIfPending", "[logging]") {
  Logged t;
  t.DeferHere();
  const std::string line(99, 'x');
  const std::size_t lines = 2 * StderrWriterSink::kDeferredBytes / 100 + 1;  // 2 x 64 KiB
  for (std::size_t i = 0; i < lines; ++i) t.logger->info(line);
  // At least one full 64 KiB arrives unasked; less than 64 KiB may still wait for the loop.
  std::string got = t.pipe.Read(2'000, lines * 100);
  CHECK(got.size() >= StderrWriterSink::kDeferredBytes);
  t.sink->WakeIfPending();
  got += t.pipe.Read(5'000, lines * 100 - got.size());
  CHECK(got.size() == lines * 100);
  CHECK(t.sink->dropped() == 0);
}

TEST_CASE("StderrWriterSink: deferred lines are written when the sink goes away", "[logging]") {
  Logged t;
  t.DeferHere();
  t.logger->info("last words");
  t.logger.reset();
  t.sink.reset();
  CHECK(t.pipe.Read(5'000, 11) == "last words\n");
}

TEST_CASE("StderrWriterSink: turning deferral off hands over what was pending", "[logging]") {
  Logged t;
  t.DeferHere();
  t.logger->info("pending");
  t.sink->DeferWakeUpsOn(std::thread::id());
  CHECK(t.pipe.Read(5'000, 8) == "pending\n");
}

TEST_CASE("StderrWriterSink: WriteQueuedHere writes the queued lines before it returns", "[logging]") {
  Logged t;
  t.logger->info("awake");
  REQUIRE(t.pipe.Read(5'000, 6) == "awake\n");
  t.DeferHere();
  t.logger->info("a");
  t.logger->info("last words");
  t.sink->WriteQueuedHere();  // the writer was never woken: these are written right here
  CHECK(t.pipe.Read(0) == "a\nlast words\n");
  t.logger->info("later");  // the writer still takes later lines
  t.sink->WakeIfPending();
  CHECK(t.pipe.Read(5'000, 6) == "later\n");
}

TEST_CASE("StderrWriterSink: WriteQueuedHere waits for the batch the writer holds", "[logging]") {
  Logged t;
  fcntl(t.pipe.read_end, F_SETPIPE_SZ, 4096);  // the writer blocks inside its first line
  const std::string big(3 * 4096, 'A');
  t.logger->info(big);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer holds that batch
  t.DeferHere();
  t.logger->info("B");
  std::thread here([&] { t.sink->WriteQueuedHere(); });
  const std::string got = t.pipe.Read(5'000, big.size() + 3);
  here.join();
  CHECK(got == big + "\nB\n");  // never B inside the big line
}
