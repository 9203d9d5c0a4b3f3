// HealthCounter: start_period, retries and transitions, driven by a fake clock.
#include <catch2/catch.hpp>

#include "health/health_counter.h"

namespace sup::daemon {
namespace {

using namespace std::chrono_literals;
const TimePoint kT0 = TimePoint{} + 1000s;

conf::HealthSpec Spec(int retries, conf::Duration start_period = conf::Duration{0}) {
  conf::HealthSpec spec;
  spec.kind = conf::HealthKind::kExec;
  spec.retries = retries;
  spec.start_period = start_period;
  return spec;
}

TEST_CASE("HealthCounter: the first pass -> healthy, reported once", "[health][counter]") {
  HealthCounter counter(Spec(3));
  counter.Start(kT0);
  CHECK(counter.health() == Health::kUnknown);
  CHECK(counter.OnProbeResult(true, kT0) == HealthVerdict::kHealthy);
  CHECK(counter.health() == Health::kHealthy);
  CHECK(counter.OnProbeResult(true, kT0 + 5s) == HealthVerdict::kNone);
}

TEST_CASE("HealthCounter: retries consecutive failures -> unhealthy once per streak", "[health][counter]") {
  HealthCounter counter(Spec(3));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(false, kT0 + 1s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(false, kT0 + 2s) == HealthVerdict::kNone);
  CHECK(counter.consecutive_failures() == 2);
  CHECK(counter.OnProbeResult(false, kT0 + 3s) == HealthVerdict::kUnhealthy);
  CHECK(counter.health() == Health::kUnhealthy);
  CHECK(counter.OnProbeResult(false, kT0 + 4s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(false, kT0 + 5s) == HealthVerdict::kNone);
  CHECK(counter.health() == Health::kUnhealthy);
}

TEST_CASE("HealthCounter: a pass breaks the streak and a new streak reports again", "[health][counter]") {
  HealthCounter counter(Spec(2));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(true, kT0) == HealthVerdict::kHealthy);
  CHECK(counter.OnProbeResult(false, kT0 + 1s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(true, kT0 + 2s) == HealthVerdict::kNone);  // still healthy
  CHECK(counter.consecutive_failures() == 0);
  CHECK(counter.OnProbeResult(false, kT0 + 3s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(false, kT0 + 4s) == HealthVerdict::kUnhealthy);
  CHECK(counter.OnProbeResult(true, kT0 + 5s) == HealthVerdict::kHealthy);
  CHECK(counter.OnProbeResult(false, kT0 + 6s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(false, kT0 + 7s) == HealthVerdict::kUnhealthy);
}

TEST_CASE("HealthCounter: retries = 1 -> the first counted failure is unhealthy", "[health][counter]") {
  HealthCounter counter(Spec(1));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(false, kT0) == HealthVerdict::kUnhealthy);
}

TEST_CASE("HealthCounter: failures within start_period do not count", "[health][counter]") {
  HealthCounter counter(Spec(2, 10s));
  counter.Start(kT0);
  CHECK(counter.in_start_period(kT0 + 9s));
  for (int i = 0; i < 5; ++i) CHECK(counter.OnProbeResult(false, kT0 + std::chrono::seconds(i)) == HealthVerdict::kNone);
  CHECK(counter.consecutive_failures() == 0);
  CHECK(counter.health() == Health::kUnknown);
  CHECK_FALSE(counter.in_start_period(kT0 + 10s));
  CHECK(counter.OnProbeResult(false, kT0 + 10s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(false, kT0 + 11s) == HealthVerdict::kUnhealthy);
}

TEST_CASE("HealthCounter: a pass ends the start period early", "[health][counter]") {
  HealthCounter counter(Spec(1, 60s));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(true, kT0 + 1s) == HealthVerdict::kHealthy);
  CHECK_FALSE(counter.in_start_period(kT0 + 2s));
  CHECK(counter.OnProbeResult(false, kT0 + 2s) == HealthVerdict::kUnhealthy);
}

TEST_CASE("HealthCounter: Start after a restart -> unknown, empty streak, new start period", "[health][counter]") {
  HealthCounter counter(Spec(1, 5s));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(false, kT0 + 6s) == HealthVerdict::kUnhealthy);
  counter.Start(kT0 + 7s);
  CHECK(counter.health() == Health::kUnknown);
  CHECK(counter.consecutive_failures() == 0);
  CHECK(counter.OnProbeResult(false, kT0 + 8s) == HealthVerdict::kNone);  // in the new start period
  CHECK(counter.OnProbeResult(false, kT0 + 12s) == HealthVerdict::kUnhealthy);
}

TEST_CASE("HealthCounter: UpdateSpec -> new retries apply to the running streak", "[health][counter]") {
  HealthCounter counter(Spec(5));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(false, kT0 + 1s) == HealthVerdict::kNone);
  CHECK(counter.OnProbeResult(false, kT0 + 2s) == HealthVerdict::kNone);
  counter.UpdateSpec(Spec(3));
  CHECK(counter.OnProbeResult(false, kT0 + 3s) == HealthVerdict::kUnhealthy);
}

TEST_CASE("HealthCounter: retries below 1 -> treated as 1", "[health][counter]") {
  HealthCounter counter(Spec(0));
  counter.Start(kT0);
  CHECK(counter.OnProbeResult(false, kT0) == HealthVerdict::kUnhealthy);
}

}  // namespace
}  // namespace sup::daemon
