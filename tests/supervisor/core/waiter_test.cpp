// Waiter and the Supervisor's typed observer paths, without a socket: what a wait reports to
// its WaitSink, what observers hear of a reload and a shutdown, and a reload removing an
// instance that is waited on.
#include <catch2/catch.hpp>

#include "core/waiter.h"
#include "supervisor_rig.h"

namespace sup::daemon {
namespace {

using testing::SupervisorRig;

constexpr const char* kTwoWebs = R"(
[program.web]
command = ["/bin/true"]
instances = 2
autostart = false

[program.db]
command = ["/bin/true"]
autostart = false
)";

class RecordingSink final : public WaitSink {
 public:
  void OnResult(WaitResult result) override { results.push_back(std::move(result)); }
  void OnDone() override { ++done; }
  bool open() const override { return is_open; }
  void OnCancel(std::function<void()> fn) override { cancel = std::move(fn); }

  std::vector<WaitResult> results;
  int done = 0;
  bool is_open = true;
  std::function<void()> cancel;
};

class RecordingObserver final : public SupervisorObserver {
 public:
  void OnReloadApplied(const conf::ReloadPlan& plan) override { reloads.push_back(plan); }
  void OnShutdownBegan(const std::string& reason) override { shutdowns.push_back(reason); }
  std::vector<conf::ReloadPlan> reloads;
  std::vector<std::string> shutdowns;
};

std::vector<Waiter::Item> Items(Supervisor& supervisor, const std::string& selector) {
  auto selected = supervisor.Select({selector});
  REQUIRE(selected);
  std::vector<Waiter::Item> items;
  for (Instance* i : *selected) items.push_back({i});
  return items;
}

TEST_CASE("a waiter item holds a handle of its instance, no copy of its name") {
  // 256 waits on 10 000 instances hold 2.56 million items: 80 bytes each were ~200 MB.
  STATIC_REQUIRE(sizeof(Waiter::Item) <= 16);
}

TEST_CASE("a wait reports one typed result per instance, then is done") {
  SupervisorRig rig(kTwoWebs);
  auto sink = std::make_shared<RecordingSink>();
  rig.supervisor->AddWaiter(std::make_unique<Waiter>(
      rig.runner, sink, WaitTarget::kStopped, Items(*rig.supervisor, "web"),
      std::chrono::milliseconds(0)));
  REQUIRE(sink->results.size() == 2);
  CHECK(sink->results[0].name == "web:0");
  CHECK(sink->results[1].name == "web:1");
  for (const auto& r : sink->results) {
    CHECK(r.outcome == WaitResult::Outcome::kOk);
    CHECK(r.state == State::kStopped);
    CHECK(r.message.empty());
    CHECK_FALSE(r.killed);
  }
  CHECK(sink->done == 1);
}

TEST_CASE("a stop of a stopped instance reports its note") {
  SupervisorRig rig(kTwoWebs);
  auto sink = std::make_shared<RecordingSink>();
  auto items = Items(*rig.supervisor, "db");
  items[0].note = Waiter::Note::kAlreadyStopped;
  rig.supervisor->AddWaiter(std::make_unique<Waiter>(rig.runner, sink, WaitTarget::kStopOutcome,
                                                      std::move(items),
                                                      std::chrono::milliseconds(0)));
  REQUIRE(sink->results.size() == 1);
  CHECK(sink->results[0].message == "already stopped");
}

TEST_CASE("a wait whose listener is gone ends without telling it") {
  SupervisorRig rig(kTwoWebs);
  auto sink = std::make_shared<RecordingSink>();
  sink->is_open = false;
  rig.supervisor->AddWaiter(std::make_unique<Waiter>(
      rig.runner, sink, WaitTarget::kStopped, Items(*rig.supervisor, "web"),
      std::chrono::milliseconds(0)));
  CHECK(sink->results.empty());
  CHECK(sink->done == 0);
}

TEST_CASE("an instance a reload removes ends the waits on it, and observers hear the plan") {
  SupervisorRig rig(kTwoWebs);
  RecordingObserver observer;
  rig.supervisor->AddObserver(&observer);
  auto running = std::make_shared<RecordingSink>();
  // db is not wanted up: a wait for running is still pending, not decided.
  rig.supervisor->AddWaiter(std::make_unique<Waiter>(rig.runner, running, WaitTarget::kRunning,
                                                      Items(*rig.supervisor, "db"),
                                                      std::chrono::milliseconds(0)));
  REQUIRE(running->results.empty());

  conf::Config next = testing::LoadConfig(R"(
[program.web]
command = ["/bin/true"]
instances = 2
autostart = false
)");
  const conf::ReloadPlan plan = conf::Diff(rig.supervisor->config(), next);
  rig.supervisor->ApplyReload(std::move(next), plan);
  REQUIRE(observer.reloads.size() == 1);
  CHECK(observer.reloads[0].removed == std::vector<std::string>{"db"});
  CHECK(observer.reloads[0].untouched == std::vector<std::string>{"web"});

  // The removed instance is dropped on a later loop iteration (the runner's sweep timer, due
  // now); its waits end first.
  rig.runner.RunDue();
  REQUIRE(running->done == 1);
  REQUIRE(running->results.size() == 1);
  CHECK(running->results[0].name == "db");  // one instance: named as its program
  CHECK(running->results[0].outcome == WaitResult::Outcome::kFailed);
  CHECK(running->results[0].message == "removed by reload");
  rig.supervisor->RemoveObserver(&observer);
}

TEST_CASE("a wait's deadline runs on the runner's clock: timeout with what it waited for") {
  SupervisorRig rig(kTwoWebs);
  auto sink = std::make_shared<RecordingSink>();
  // db is not wanted up: a wait for running stays pending until its deadline.
  rig.supervisor->AddWaiter(std::make_unique<Waiter>(rig.runner, sink, WaitTarget::kRunning,
                                                      Items(*rig.supervisor, "db"),
                                                      std::chrono::milliseconds(1500)));
  rig.runner.Advance(std::chrono::milliseconds(1499));
  CHECK(sink->results.empty());
  CHECK(sink->done == 0);
  rig.runner.Advance(std::chrono::milliseconds(1));
  REQUIRE(sink->results.size() == 1);
  CHECK(sink->results[0].outcome == WaitResult::Outcome::kTimeout);
  CHECK(sink->results[0].message == "STOPPED");
  CHECK(sink->done == 1);
  rig.runner.RunDue();  // the registry drops the ended waiter on the next iteration
}

TEST_CASE("a wait for a start that is still starting times out naming the wait and its time") {
  SupervisorRig rig(R"(
[program.slow]
command = ["/bin/true"]
autostart = false
start_seconds = 10
)");
  auto sink = std::make_shared<RecordingSink>();
  auto items = Items(*rig.supervisor, "slow");
  rig.supervisor->Start({items[0].instance});
  rig.supervisor->AddWaiter(std::make_unique<Waiter>(rig.runner, sink, WaitTarget::kRunning,
                                                      std::move(items), std::chrono::seconds(2)));
  rig.runner.Advance(std::chrono::seconds(2));
  REQUIRE(sink->results.size() == 1);
  CHECK(sink->results[0].outcome == WaitResult::Outcome::kTimeout);
  CHECK(sink->results[0].state == State::kStarting);
  CHECK(sink->results[0].message.find("(2s)") != std::string::npos);
}

TEST_CASE("observers hear a shutdown begin once, with its reason") {
  SupervisorRig rig(kTwoWebs);
  RecordingObserver observer;
  rig.supervisor->AddObserver(&observer);
  rig.supervisor->BeginShutdown("unit test");
  rig.supervisor->BeginShutdown("again");
  CHECK(observer.shutdowns == std::vector<std::string>{"unit test"});
  rig.supervisor->RemoveObserver(&observer);
}

TEST_CASE("a removed observer hears nothing more") {
  SupervisorRig rig(kTwoWebs);
  RecordingObserver observer;
  rig.supervisor->AddObserver(&observer);
  rig.supervisor->RemoveObserver(&observer);
  rig.supervisor->BeginShutdown("unit test");
  CHECK(observer.shutdowns.empty());
}

}  // namespace
}  // namespace sup::daemon
