// The control socket's rendering of core/'s typed values, byte for byte as docs/protocol.md
// shows them: wait lines, the reload reply, global events and exit records.
#include <catch2/catch.hpp>

#include "control/event_bus.h"
#include "control/reload_reply.h"
#include "control/wait_reply.h"
#include "sup/conf/units.h"

namespace sup::daemon::control {
namespace {

// A Call that records what it was told.
class RecordingCall final : public Call {
 public:
  const Peer& peer() const override { return peer_; }
  void Succeed(nlohmann::json result) override { lines.push_back(result.dump()), open_ = false; }
  void SucceedText(std::string text) override { lines.push_back(std::move(text)), open_ = false; }
  void Fail(std::string_view code, std::string message, nlohmann::json extra) override {
    lines.push_back("fail " + std::string(code) + " " + message + " " + extra.dump());
    open_ = false;
  }
  void Emit(nlohmann::json item) override { lines.push_back(item.dump()); }
  void End() override { lines.push_back("end"), open_ = false; }
  bool open() const override { return open_; }
  void OnCancel(std::function<void()>) override {}

  std::vector<std::string> lines;

 private:
  Peer peer_;
  bool open_ = true;
};

WaitResult Result(std::string name, WaitResult::Outcome outcome, std::string message) {
  return {std::move(name), outcome, State::kRunning, std::move(message), false};
}

TEST_CASE("a wait streams one line per result, the warning on the first only") {
  auto call = std::make_shared<RecordingCall>();
  auto sink = WaitReply(call, "still running dependants: api");
  sink->OnResult(Result("web:0", WaitResult::Outcome::kOk, "already running"));
  sink->OnResult(Result("web:1", WaitResult::Outcome::kTimeout, "STARTING: 1s"));
  sink->OnDone();
  REQUIRE(call->lines.size() == 3);
  CHECK(call->lines[0] ==
        R"({"killed":false,"message":"already running","name":"web:0","outcome":"ok",)"
        R"("state":"RUNNING","warning":"still running dependants: api"})");
  CHECK(call->lines[1] ==
        R"({"killed":false,"message":"STARTING: 1s","name":"web:1","outcome":"timeout",)"
        R"("state":"RUNNING"})");
  CHECK(call->lines[2] == "end");
}

TEST_CASE("a reload reply is the plan, with instances only when it waited") {
  conf::ReloadPlan plan;
  plan.added = {"db"};
  plan.restarted = {{"web", {"command"}}};
  auto call = std::make_shared<RecordingCall>();
  ReloadReply(call)->OnApplied({plan, std::nullopt});
  CHECK(call->lines.at(0) ==
        R"({"added":["db"],"not_applied":[],"removed":[],"restarted":[{"keys":["command"],)"
        R"("name":"web"}],"untouched":[],"updated":[]})");

  auto waited = std::make_shared<RecordingCall>();
  ReloadReply(waited)->OnApplied(
      {plan, std::vector<WaitResult>{Result("db", WaitResult::Outcome::kFailed, "FATAL: x")}});
  const auto reply = nlohmann::json::parse(waited->lines.at(0));
  CHECK(reply["instances"].dump() ==
        R"([{"killed":false,"message":"FATAL: x","name":"db","outcome":"failed",)"
        R"("state":"RUNNING"}])");
}

TEST_CASE("a refused reload is an error reply with the protocol's code") {
  auto call = std::make_shared<RecordingCall>();
  ReloadReply(call)->OnRefused(
      {ReloadRefusal::Reason::kConfigErrors, "1 error(s) in /x: nothing changed", {"/x:1: bad"}});
  CHECK(call->lines.at(0) == R"(fail config_error 1 error(s) in /x: nothing changed {"errors":["/x:1: bad"]})");
  auto busy = std::make_shared<RecordingCall>();
  ReloadReply(busy)->OnRefused({ReloadRefusal::Reason::kShuttingDown, "supd is shutting down", {}});
  CHECK(busy->lines.at(0) == "fail shutting_down supd is shutting down null");
}

TEST_CASE("global events go to every subscriber, filtered or not") {
  EventBus bus;
  auto all = std::make_shared<RecordingCall>();
  auto some = std::make_shared<RecordingCall>();
  bus.Subscribe(all, {});
  bus.Subscribe(some, {"web"});
  conf::ReloadPlan plan;
  plan.removed = {"old"};
  bus.OnReloadApplied(plan);
  bus.OnShutdownBegan("supctl shutdown");
  const std::vector<std::string> expected = {
      R"({"added":[],"event":"reload","removed":["old"],"untouched":[]})",
      R"({"event":"shutdown","reason":"supctl shutdown"})"};
  CHECK(all->lines == expected);
  CHECK(some->lines == expected);
  bus.EndAll();
  CHECK(all->lines.back() == "end");
  CHECK(bus.subscribers() == 0);
}

TEST_CASE("an exit record renders its code or its signal, never both") {
  ExitRecord exited;
  exited.status.code = 3;
  exited.run_length = std::chrono::microseconds(1'234'567);
  exited.at = Clock::now();
  auto json = EventBus::ExitJson(exited);
  CHECK(json["code"] == 3);
  CHECK(json["signal"].is_null());
  CHECK(json["run_s"].dump() == "1.235");
  CHECK(json["core_dumped"] == false);

  ExitRecord killed = exited;
  killed.status.code = 0;
  killed.status.signal = 9;
  killed.run_length = std::chrono::seconds(2);
  json = EventBus::ExitJson(killed);
  CHECK(json["code"].is_null());
  CHECK(json["signal"] == conf::SignalName(9));
  CHECK(json["run_s"].dump() == "2.0");
}

}  // namespace
}  // namespace sup::daemon::control
