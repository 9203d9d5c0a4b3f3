// LoopLag on a real loop: a busy callback shows up; the probe never keeps the loop alive.
#include <catch2/catch.hpp>

#include <uv.h>

#include <chrono>

#include "http/loop_lag.h"

using sup::daemon::http::LoopLag;

namespace {

void BusyFor(std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

}  // namespace

TEST_CASE("LoopLag: a callback busy for 50ms -> the next reading is at least 50ms", "[http]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    LoopLag lag(loop);
    uv_timer_t busy;
    uv_timer_init(&loop, &busy);
    uv_timer_start(&busy, [](uv_timer_t*) { BusyFor(std::chrono::milliseconds(50)); }, 1, 0);
    uv_run(&loop, UV_RUN_DEFAULT);  // the busy iteration, then the loop has nothing left
    CHECK(lag.TakeMax() >= 0.050);
    uv_close(reinterpret_cast<uv_handle_t*>(&busy), nullptr);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  REQUIRE(uv_loop_close(&loop) == 0);
}

TEST_CASE("LoopLag: a read inside a busy callback -> counts the iteration so far", "[http]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    LoopLag lag(loop);
    struct Probe {
      LoopLag* lag;
      double seen = 0;
    } probe{&lag};
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    timer.data = &probe;
    uv_timer_start(&timer, [](uv_timer_t* t) {
      auto* p = static_cast<Probe*>(t->data);
      BusyFor(std::chrono::milliseconds(30));
      p->seen = p->lag->TakeMax();
    }, 1, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(probe.seen >= 0.030);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  REQUIRE(uv_loop_close(&loop) == 0);
}

TEST_CASE("LoopLag: alone on a loop -> uv_run returns at once (unreferenced handles)", "[http]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    LoopLag lag(loop);
    CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    CHECK(lag.TakeMax() >= 0.0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  REQUIRE(uv_loop_close(&loop) == 0);
}
