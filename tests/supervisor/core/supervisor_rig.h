// SupervisorRig: a real Supervisor over a FakeRunner, built from sup.toml text, so the
// Supervisor's rules (dependencies, stop waves, reload, shutdown, on_fatal) are driven by the
// test alone: "pid P exited with C", "time advances by T". A real uv loop exists for the
// OutputHub and for the Reloader's parse on the thread pool: only the Reloader's tests run it,
// through RunUntil. Waiters' deadlines run on the FakeRunner's clock.
#pragma once

#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "core/supervisor.h"
#include "fake_runner.h"
#include "output/output_hub.h"
#include "sup/conf/diff.h"
#include "sup/conf/loader.h"

namespace sup::daemon::testing {

using namespace std::chrono_literals;

inline conf::Config LoadConfig(const std::string& toml) {
  conf::Environment env{{"PATH", "/usr/bin:/bin"}, {"HOME", "/tmp"}};
  auto loaded = conf::LoadString(toml, "/nonexistent-sup-core-test/sup.toml", env, getuid());
  if (!loaded.errors.empty()) FAIL("config: " << loaded.errors.front().ToString());
  return std::move(*loaded.config);
}

struct SupervisorRig {
  explicit SupervisorRig(const std::string& toml) {
    uv_loop_init(&loop);
    hub = std::make_unique<output::OutputHub>(loop, output::OutputHub::Options{});
    SupervisorServices services;
    services.runner = &runner;
    services.output_hub = hub.get();
    supervisor = std::make_unique<Supervisor>(std::move(services),
                                              std::make_shared<const conf::Config>(LoadConfig(toml)));
    supervisor->set_on_shutdown_done([this] { shutdown_done = true; });
  }
  ~SupervisorRig() {
    supervisor.reset();
    hub->Shutdown();
    hub.reset();
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
  }

  Instance& Get(const std::string& name) {
    auto found = supervisor->Select({name});
    REQUIRE(found);
    REQUIRE(found->size() == 1);
    return *found->front();
  }
  State StateOf(const std::string& name) { return Get(name).state(); }
  pid_t PidOf(const std::string& name) { return Get(name).pid(); }
  bool Spawned(const std::string& argv0) const {
    for (const auto& r : runner.spawns)
      if (r.argv.at(0) == argv0) return true;
    return false;
  }

  void Start(const std::string& name) { supervisor->Start({&Get(name)}); }
  void Exit(const std::string& name, int code) { REQUIRE(runner.Exit(PidOf(name), code)); }

  // Reloads to `toml` as supd does: the plan is the diff of the current and the new config.
  void Reload(const std::string& toml) {
    conf::Config next = LoadConfig(toml);
    const conf::ReloadPlan plan = conf::Diff(supervisor->config(), next);
    supervisor->ApplyReload(std::move(next), plan);
  }

  // Runs the real loop until `done()` or 10 s (a safety bound, not a timing).
  template <typename Done>
  bool RunUntil(Done done) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < until) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    return done();
  }

  uv_loop_t loop{};
  FakeRunner runner;  // outlives the Supervisor: instances unwatch their pids on destruction
  std::unique_ptr<output::OutputHub> hub;
  std::unique_ptr<Supervisor> supervisor;
  bool shutdown_done = false;
};

}  // namespace sup::daemon::testing
