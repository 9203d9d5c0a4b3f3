// Names and texts of the lifecycle vocabulary (lifecycle/state.h, effect.h, exit_history.h).
#include <signal.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "lifecycle/effect.h"
#include "lifecycle/exit_history.h"
#include "lifecycle/state.h"

namespace sup::daemon {
namespace {

using namespace std::chrono_literals;

TEST_CASE("StateName: every state -> its status word", "[lifecycle][text]") {
  CHECK(std::string(StateName(State::kStopped)) == "STOPPED");
  CHECK(std::string(StateName(State::kStarting)) == "STARTING");
  CHECK(std::string(StateName(State::kRunning)) == "RUNNING");
  CHECK(std::string(StateName(State::kBackoff)) == "BACKOFF");
  CHECK(std::string(StateName(State::kStopping)) == "STOPPING");
  CHECK(std::string(StateName(State::kExited)) == "EXITED");
  CHECK(std::string(StateName(State::kFatal)) == "FATAL");
  CHECK(std::string(HealthName(Health::kUnhealthy)) == "unhealthy");
}

TEST_CASE("ExitStatus: code or signal -> human text", "[lifecycle][text]") {
  CHECK(ExitStatus::Code(3).Describe() == "exited with code 3");
  CHECK(ExitStatus::Signal(SIGKILL).Describe() == "killed by SIGKILL");
  CHECK(ExitStatus::Signal(SIGSEGV, true).Describe() == "killed by SIGSEGV (core dumped)");
  CHECK(ExitStatus::Code(3).Brief() == "exit 3");
  CHECK(ExitStatus::Signal(SIGTERM).Brief() == "signal SIGTERM");
}

TEST_CASE("FormatDuration: durations -> the units a human reads", "[lifecycle][text]") {
  CHECK(FormatDuration(0ms) == "0ms");
  CHECK(FormatDuration(400ms) == "400ms");
  CHECK(FormatDuration(10s) == "10s");
  CHECK(FormatDuration(1500ms) == "1.5s");
  CHECK(FormatDuration(90s) == "1m30s");
  CHECK(FormatDuration(2min) == "2m");
  CHECK(FormatDuration(std::chrono::microseconds(399'600)) == "400ms");
}

TEST_CASE("Effect: equal fields -> equal, printable for failures", "[lifecycle][text]") {
  CHECK(effect::Kill(SIGTERM, true) == effect::Kill(SIGTERM, true));
  CHECK_FALSE(effect::Kill(SIGTERM, true) == effect::Kill(SIGTERM, false));
  CHECK(effect::ArmTimer(1s) == effect::ArmTimer(1000ms));
  std::ostringstream out;
  out << effect::Publish(State::kRunning, State::kBackoff, "exited with code 1");
  CHECK(out.str() == "Publish(RUNNING -> BACKOFF, \"exited with code 1\")");
}

TEST_CASE("ExitHistory: more than 10 exits -> the oldest dropped", "[lifecycle][history]") {
  ExitHistory history;
  for (int code = 0; code < 15; ++code) history.Add(ExitRecord{ExitStatus::Code(code), 1s, {}, ""});
  CHECK(history.records().size() == kExitHistorySize);
  CHECK(history.records().front().status.code == 5);
  CHECK(history.last().status.code == 14);
}

}  // namespace
}  // namespace sup::daemon
