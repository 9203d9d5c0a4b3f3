// BackoffDelay and StartLimitWindow (lifecycle/backoff.h).
#include "lifecycle/backoff.h"

#include <catch2/catch.hpp>

namespace sup::daemon {
namespace {

using namespace std::chrono_literals;
const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

conf::Backoff NoJitter() {
  conf::Backoff backoff;
  backoff.jitter = 0;
  return backoff;
}

TEST_CASE("BackoffDelay: n failures -> initial x factor^(n-1)", "[lifecycle][backoff]") {
  const auto backoff = NoJitter();
  CHECK(BackoffDelay(backoff, 1, 0.3) == 100ms);
  CHECK(BackoffDelay(backoff, 2, 0.3) == 200ms);
  CHECK(BackoffDelay(backoff, 5, 0.3) == 1600ms);
}

TEST_CASE("BackoffDelay: no failure (restart after an exit) -> initial", "[lifecycle][backoff]") {
  CHECK(BackoffDelay(NoJitter(), 0, 0.9) == 100ms);
}

TEST_CASE("BackoffDelay: huge n -> capped at max without overflow", "[lifecycle][backoff]") {
  CHECK(BackoffDelay(NoJitter(), 10'000, 0.0) == 30s);
}

TEST_CASE("BackoffDelay: jitter j -> a factor from 1-j up to (not including) 1+j", "[lifecycle][backoff]") {
  conf::Backoff backoff;
  backoff.initial = 1s;
  backoff.jitter = 0.2;
  CHECK(BackoffDelay(backoff, 1, 0.0) == 800ms);
  CHECK(BackoffDelay(backoff, 1, 0.5) == 1s);
  CHECK(BackoffDelay(backoff, 1, 0.25) == 900ms);
  const auto top = BackoffDelay(backoff, 1, 0.999999);
  CHECK(top > 1199ms);
  CHECK(top < 1200ms);
}

TEST_CASE("BackoffDelay: jitter applies after the cap", "[lifecycle][backoff]") {
  conf::Backoff backoff;
  backoff.max = 1s;
  backoff.jitter = 0.5;
  CHECK(BackoffDelay(backoff, 20, 0.0) == 500ms);
}

TEST_CASE("BackoffDelay: initial = 0s -> zero delay", "[lifecycle][backoff]") {
  conf::Backoff backoff;
  backoff.initial = 0ms;
  CHECK(BackoffDelay(backoff, 3, 0.7) == Clock::duration::zero());
}

TEST_CASE("StartLimitWindow: burst restarts within interval -> the next refused",
          "[lifecycle][limit]") {
  StartLimitWindow window;
  const conf::StartLimit limit{3, 10'000ms};
  CHECK(window.TryRestart(limit, kT0));
  CHECK(window.TryRestart(limit, kT0 + 1s));
  CHECK(window.TryRestart(limit, kT0 + 2s));
  CHECK_FALSE(window.TryRestart(limit, kT0 + 3s));
  CHECK(window.count() == 3);
}

TEST_CASE("StartLimitWindow: old restarts slide out of the interval -> granted again",
          "[lifecycle][limit]") {
  StartLimitWindow window;
  const conf::StartLimit limit{2, 10'000ms};
  CHECK(window.TryRestart(limit, kT0));
  CHECK(window.TryRestart(limit, kT0 + 5s));
  CHECK_FALSE(window.TryRestart(limit, kT0 + 9s));
  CHECK(window.TryRestart(limit, kT0 + 10s));  // kT0 is exactly one interval ago
}

TEST_CASE("StartLimitWindow: burst = 0 -> everything granted, nothing kept", "[lifecycle][limit]") {
  StartLimitWindow window;
  for (int i = 0; i < 100; ++i) CHECK(window.TryRestart(conf::StartLimit{0, 10'000ms}, kT0));
  CHECK(window.count() == 0);
}

TEST_CASE("StartLimitWindow: Clear -> history forgotten", "[lifecycle][limit]") {
  StartLimitWindow window;
  const conf::StartLimit limit{1, 10'000ms};
  CHECK(window.TryRestart(limit, kT0));
  CHECK_FALSE(window.TryRestart(limit, kT0 + 1s));
  window.Clear();
  CHECK(window.TryRestart(limit, kT0 + 2s));
}

}  // namespace
}  // namespace sup::daemon
