// A real Supervisor on its own loop, for the rules that need no process: nothing here spawns
// (programs are not autostarted), so no reaper is started either.
#pragma once

#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "core/supervisor.h"
#include "output/output_hub.h"
#include "process/reaper.h"
#include "process/spawner.h"
#include "sup/conf/loader.h"

namespace sup::daemon::test {

inline conf::Config LoadConfig(const std::string& toml) {
  conf::LoadResult loaded = conf::LoadString(toml, "/rig/sup.toml", {}, geteuid());
  REQUIRE(loaded.config);
  return std::move(*loaded.config);
}

class SupervisorRig {
 public:
  explicit SupervisorRig(const std::string& toml) {
    uv_loop_init(&loop_);
    reaper_ = std::make_unique<Reaper>(loop_);
    hub_ = std::make_unique<output::OutputHub>(loop_, output::OutputHub::Options{});
    SupervisorServices services;
    services.loop = &loop_;
    services.spawner = &spawner_;
    services.reaper = reaper_.get();
    services.output_hub = hub_.get();
    supervisor_ = std::make_unique<Supervisor>(std::move(services), LoadConfig(toml));
  }
  ~SupervisorRig() {
    supervisor_.reset();
    hub_.reset();
    reaper_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);  // close callbacks
    uv_loop_close(&loop_);
  }

  Supervisor& supervisor() { return *supervisor_; }
  uv_loop_t& loop() { return loop_; }

  // Runs the loop until `done()` or 10 s (a safety bound, not a timing).
  template <typename Done>
  bool RunUntil(Done done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < until) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(1000);
    }
    return done();
  }

 private:
  uv_loop_t loop_{};
  Spawner spawner_{OriginalLimits{}};
  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<output::OutputHub> hub_;
  std::unique_ptr<Supervisor> supervisor_;
};

}  // namespace sup::daemon::test
