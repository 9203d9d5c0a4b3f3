// Timer, SignalWatcher, PollWatcher, Async, BeforeWait: callbacks run on the loop, re-arming and
// destruction inside a callback are safe, and no handle outlives its owner.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "loop/async.h"
#include "loop/before_wait.h"
#include "loop/poll_watcher.h"
#include "loop/signal_watcher.h"
#include "loop/timer.h"
#include "loop/unique_fd.h"

namespace sup::daemon {
namespace {

using namespace std::chrono_literals;

// Runs `loop` until done() holds or `limit` passes; returns done(). A prepare handle checks
// done() before each poll and stops the loop, so work done by timers that ran before the poll
// (a re-armed 0 ms timer) cannot leave uv_run blocked until the deadline.
inline bool RunLoopUntil(uv_loop_t& loop, const std::function<bool()>& done,
                         std::chrono::milliseconds limit = std::chrono::milliseconds(15'000)) {
  struct Guard {
    const std::function<bool()>* done;
    bool expired = false;
  } guard{&done};
  uv_prepare_t check;
  uv_timer_t deadline;
  uv_prepare_init(&loop, &check);
  uv_timer_init(&loop, &deadline);
  check.data = &guard;
  deadline.data = &guard;
  uv_prepare_start(&check, [](uv_prepare_t* p) {
    if ((*static_cast<Guard*>(p->data)->done)()) uv_stop(p->loop);
  });
  uv_timer_start(&deadline, [](uv_timer_t* t) {
    static_cast<Guard*>(t->data)->expired = true;
    uv_stop(t->loop);
  }, static_cast<uint64_t>(limit.count()), 0);
  while (!done() && !guard.expired) uv_run(&loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);  // both closes complete before the handles leave scope
  return done();
}

// A loop that must close cleanly: Close() runs pending close callbacks, then uv_loop_close.
struct TestLoop {
  TestLoop() { uv_loop_init(&loop); }
  ~TestLoop() { Close(); }
  bool Close() {
    if (closed) return true;
    closed = true;
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop) == 0;
  }
  // Runs until done() or a generous deadline. Raw uv handles, so that the Timer under test is
  // not also the one guarding the wait.
  bool RunUntil(const std::function<bool()>& done) { return RunLoopUntil(loop, done); }
  uv_loop_t loop;
  bool closed = false;
};

TEST_CASE("Timer: fires once after Start", "[loop][timer]") {
  TestLoop t;
  int fired = 0;
  {
    Timer timer(t.loop);
    timer.Start(1ms, [&] { ++fired; });
    CHECK(timer.active());
    REQUIRE(t.RunUntil([&] { return fired > 0; }));
    CHECK_FALSE(timer.active());
    uv_run(&t.loop, UV_RUN_NOWAIT);
    CHECK(fired == 1);
  }
  REQUIRE(t.Close());
}

TEST_CASE("Timer: Stop before expiry means the callback never runs", "[loop][timer]") {
  TestLoop t;
  bool fired = false, other = false;
  {
    Timer timer(t.loop), later(t.loop);
    timer.Start(0ms, [&] { fired = true; });
    timer.Stop();
    later.Start(20ms, [&] { other = true; });  // a later event proves the loop did run
    REQUIRE(t.RunUntil([&] { return other; }));
  }
  CHECK_FALSE(fired);
  REQUIRE(t.Close());
}

TEST_CASE("Timer: Start again replaces the pending callback", "[loop][timer]") {
  TestLoop t;
  int first = 0, second = 0;
  {
    Timer timer(t.loop);
    timer.Start(0ms, [&] { ++first; });
    timer.Start(1ms, [&] { ++second; });
    REQUIRE(t.RunUntil([&] { return second > 0; }));
  }
  CHECK(first == 0);
  REQUIRE(t.Close());
}

TEST_CASE("Timer: a callback may re-arm its own timer", "[loop][timer]") {
  TestLoop t;
  int runs = 0;
  {
    Timer timer(t.loop);
    std::function<void()> again = [&] {
      if (++runs < 3) timer.Start(0ms, again);
    };
    timer.Start(0ms, again);
    REQUIRE(t.RunUntil([&] { return runs == 3; }));
  }
  REQUIRE(t.Close());
}

TEST_CASE("Timer: a callback may destroy its own timer", "[loop][timer]") {
  TestLoop t;
  auto timer = std::make_unique<Timer>(t.loop);
  bool fired = false;
  timer->Start(0ms, [&] {
    fired = true;
    timer.reset();
  });
  REQUIRE(t.RunUntil([&] { return fired; }));
  CHECK(timer == nullptr);
  REQUIRE(t.Close());
}

TEST_CASE("Timer: destroyed while armed leaves no handle and never fires", "[loop][timer]") {
  TestLoop t;
  bool fired = false;
  {
    Timer timer(t.loop);
    timer.Start(0ms, [&] { fired = true; });
  }
  REQUIRE(t.Close());
  CHECK_FALSE(fired);
}

TEST_CASE("SignalWatcher: a raised signal reaches the callback on the loop", "[loop][signal]") {
  TestLoop t;
  int seen = 0;
  {
    SignalWatcher watcher(t.loop);
    REQUIRE(watcher.Start(SIGUSR1, [&](int signum) { seen = signum; }));
    raise(SIGUSR1);
    REQUIRE(t.RunUntil([&] { return seen != 0; }));
    CHECK(seen == SIGUSR1);
    watcher.Stop();
  }
  REQUIRE(t.Close());
}

TEST_CASE("SignalWatcher: a callback may stop and destroy its watcher", "[loop][signal]") {
  TestLoop t;
  auto watcher = std::make_unique<SignalWatcher>(t.loop);
  int calls = 0;
  REQUIRE(watcher->Start(SIGUSR2, [&](int) {
    ++calls;
    watcher.reset();
  }));
  raise(SIGUSR2);
  REQUIRE(t.RunUntil([&] { return calls > 0; }));
  CHECK(watcher == nullptr);
  REQUIRE(t.Close());
}

TEST_CASE("SignalWatcher: an invalid signal number is an error value", "[loop][signal]") {
  TestLoop t;
  {
    SignalWatcher watcher(t.loop);
    const auto started = watcher.Start(0, [](int) {});
    REQUIRE_FALSE(started);
    CHECK(started.error().code == ErrorCode::kLibuv);
  }
  REQUIRE(t.Close());
}

TEST_CASE("PollWatcher: a readable socket reaches the callback", "[loop][poll]") {
  TestLoop t;
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) == 0);
  UniqueFd reader(fds[0]), writer(fds[1]);
  std::string got;
  {
    PollWatcher watcher(t.loop, reader.get());
    REQUIRE(watcher.Start(UV_READABLE, [&](int status, int events) {
      REQUIRE(status == 0);
      if (events & UV_READABLE) {
        char buffer[64];
        const ssize_t n = recv(reader.get(), buffer, sizeof buffer, 0);
        if (n > 0) got.assign(buffer, static_cast<size_t>(n));
      }
    }));
    REQUIRE(send(writer.get(), "READY=1", 7, 0) == 7);
    REQUIRE(t.RunUntil([&] { return !got.empty(); }));
    CHECK(got == "READY=1");
  }
  REQUIRE(t.Close());
}

TEST_CASE("PollWatcher: an fd that cannot be polled is reported by Start", "[loop][poll]") {
  TestLoop t;
  {
    PollWatcher watcher(t.loop, -1);
    const auto started = watcher.Start(UV_READABLE, [](int, int) {});
    REQUIRE_FALSE(started);
    CHECK(started.error().code == ErrorCode::kLibuv);
  }
  REQUIRE(t.Close());
}

TEST_CASE("Async: Send from another thread runs the callback on the loop thread", "[loop][async]") {
  TestLoop t;
  std::thread::id ran_on;
  bool ran = false;
  {
    Async async(t.loop, [&] {
      ran = true;
      ran_on = std::this_thread::get_id();
    });
    REQUIRE(async.init_error() == 0);
    std::thread sender([&] { async.Send(); });
    sender.join();
    REQUIRE(t.RunUntil([&] { return ran; }));
    CHECK(ran_on == std::this_thread::get_id());
  }
  REQUIRE(t.Close());
}

TEST_CASE("BeforeWait: runs before the loop waits, never spins, and keeps no loop alive", "[loop][before_wait]") {
  TestLoop t;
  int runs = 0;
  {
    BeforeWait hook(t.loop, [&] { ++runs; });
    // Nothing else active: the unref'd hook alone lets uv_run return at once.
    CHECK(uv_run(&t.loop, UV_RUN_DEFAULT) == 0);
    // A 50 ms timer: the loop waits once (or twice) for it, and the hook runs before each
    // wait, not in a busy loop meanwhile.
    bool fired = false;
    Timer timer(t.loop);
    timer.Start(50ms, [&] { fired = true; });
    runs = 0;
    uv_run(&t.loop, UV_RUN_DEFAULT);
    CHECK(fired);
    CHECK(runs >= 1);
    CHECK(runs <= 3);
  }
  REQUIRE(t.Close());
}

}  // namespace
}  // namespace sup::daemon
