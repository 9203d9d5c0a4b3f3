// The Reloader's typed answers (ReloadResult, ReloadRefusal), without a socket: a real config
// file loaded off the loop, diffed and applied to a real Supervisor.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/reloader.h"
#include "supervisor_rig.h"

namespace sup::daemon {
namespace {

using testing::SupervisorRig;

constexpr const char* kWeb = R"(
[program.web]
command = ["/bin/true"]
autostart = false
)";

class RecordingReceiver final : public ReloadReceiver {
 public:
  void OnApplied(ReloadResult r) override { applied = std::move(r); }
  void OnRefused(ReloadRefusal r) override { refused = std::move(r); }
  bool open() const override { return true; }
  void OnCancel(std::function<void()>) override {}
  bool answered() const { return applied.has_value() || refused.has_value(); }

  std::optional<ReloadResult> applied;
  std::optional<ReloadRefusal> refused;
};

class ConfigFile {
 public:
  ConfigFile() {
    char dir[] = "/tmp/sup-reloader-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    dir_ = dir;
  }
  ~ConfigFile() { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(path()) << text; }
  std::string path() const { return dir_ + "/sup.toml"; }

 private:
  std::string dir_;
};

struct ReloadRig {
  explicit ReloadRig(const std::string& config) : rig(config) {
    file.Write(config);
    Reloader::Options options;
    options.path = file.path();
    reloader = std::make_unique<Reloader>(rig.loop, *rig.supervisor, std::move(options));
  }
  std::shared_ptr<RecordingReceiver> Reload(const std::string& next, bool dry_run) {
    file.Write(next);
    auto receiver = std::make_shared<RecordingReceiver>();
    reloader->Request(receiver, dry_run);
    REQUIRE(rig.RunUntil([&] { return receiver->answered(); }));
    return receiver;
  }

  ConfigFile file;
  SupervisorRig rig;
  std::unique_ptr<Reloader> reloader;
};

TEST_CASE("a dry run answers the plan and changes nothing") {
  ReloadRig r(kWeb);
  auto answer = r.Reload(std::string(kWeb) + "[program.db]\ncommand = [\"/bin/true\"]\n", true);
  REQUIRE(answer->applied);
  CHECK(answer->applied->plan.added == std::vector<std::string>{"db"});
  CHECK(answer->applied->plan.untouched == std::vector<std::string>{"web"});
  CHECK_FALSE(answer->applied->instances.has_value());
  CHECK(r.rig.supervisor->config().programs.size() == 1);
}

TEST_CASE("a reload that starts nothing answers the plan without instances") {
  ReloadRig r(kWeb);
  auto answer = r.Reload("[program.web]\ncommand = [\"/bin/true\"]\nautostart = false\n"
                         "[program.db]\ncommand = [\"/bin/true\"]\nautostart = false\n",
                         false);
  REQUIRE(answer->applied);
  CHECK(answer->applied->plan.added == std::vector<std::string>{"db"});
  CHECK_FALSE(answer->applied->instances.has_value());
  CHECK(r.rig.supervisor->config().programs.size() == 2);
}

TEST_CASE("a config with errors is refused with each error, and nothing changes") {
  ReloadRig r(kWeb);
  auto answer = r.Reload("[program.web]\ncommand = 3\n", false);
  REQUIRE(answer->refused);
  CHECK(answer->refused->reason == ReloadRefusal::Reason::kConfigErrors);
  CHECK(answer->refused->message ==
        std::to_string(answer->refused->errors.size()) + " error(s) in " + r.file.path() +
            ": nothing changed");
  REQUIRE_FALSE(answer->refused->errors.empty());
  CHECK(answer->refused->errors[0].find("sup.toml") != std::string::npos);
  CHECK(r.rig.supervisor->config().programs.size() == 1);
}

TEST_CASE("a reload during a shutdown is refused") {
  ReloadRig r(kWeb);
  r.rig.supervisor->BeginShutdown("unit test");
  auto answer = r.Reload(kWeb, false);
  REQUIRE(answer->refused);
  CHECK(answer->refused->reason == ReloadRefusal::Reason::kShuttingDown);
}

TEST_CASE("the reload's log line names the plan in words") {
  conf::ReloadPlan plan;
  CHECK(Reloader::PlanSummary(plan) == "nothing changed");
  plan.added = {"a", "b"};
  plan.restarted = {{"c", {"command"}}};
  CHECK(Reloader::PlanSummary(plan) == "added a, b; restarted c (command)");
}

}  // namespace
}  // namespace sup::daemon
