// What READY=1's STATUS= says, from the start-up wait's typed results.
#include <catch2/catch.hpp>

#include "systemd/systemd_notifier.h"

using sup::daemon::State;
using sup::daemon::WaitResult;
using sup::daemon::systemd::ReadyStatus;

TEST_CASE("READY=1's status counts the ready instances and names the others") {
  CHECK(ReadyStatus({}) == "no program to start");
  std::vector<WaitResult> results = {
      {"web:0", WaitResult::Outcome::kOk, State::kRunning, "", false},
      {"db", WaitResult::Outcome::kFailed, State::kFatal, "FATAL: exec /nope: No such file", false},
  };
  CHECK(ReadyStatus(results) == "1 of 2 instances ready; not ready: db FATAL: exec /nope: No such file");
}

TEST_CASE("READY=1's status is cut at 256 bytes") {
  std::vector<WaitResult> results;
  for (int i = 0; i < 40; ++i)
    results.push_back({"worker:" + std::to_string(i), WaitResult::Outcome::kFailed, State::kFatal,
                       "FATAL: spawn failed", false});
  const std::string status = ReadyStatus(results);
  CHECK(status.size() == 256);
  CHECK(status.substr(0, 35) == "0 of 40 instances ready; not ready:");
  CHECK(status.substr(253) == "...");
}
