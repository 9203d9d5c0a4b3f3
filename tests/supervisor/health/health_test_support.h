// Shared by the health tests: a loop with a started Reaper and a Spawner that ends with every
// child reaped and the loop closable, bounded waits, temp dirs and probe targets.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "health/health_checker.h"
#include "process/reaper.h"
#include "process/spawner.h"

namespace sup::daemon::testing {

using namespace std::chrono_literals;

inline constexpr auto kWait = std::chrono::milliseconds(15'000);  // generous: shared machines

// Runs `loop` until done() holds or `limit` passes; returns done().
inline bool RunUntil(uv_loop_t& loop, const std::function<bool()>& done, std::chrono::milliseconds limit = kWait) {
  const auto until = std::chrono::steady_clock::now() + limit;
  uv_timer_t tick;  // wakes uv_run at least every 20 ms so done() is re-checked
  uv_timer_init(&loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 20, 20);
  while (!done() && std::chrono::steady_clock::now() < until) uv_run(&loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);  // the close completes before `tick` leaves scope
  return done();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sup-health-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The pid a command wrote to `file` (sh -c 'echo $$ > file; exec ...'), or -1.
inline pid_t ReadPid(const std::string& file) {
  std::ifstream in(file);
  long pid = -1;
  if (!(in >> pid)) return -1;
  return static_cast<pid_t>(pid);
}

// Exists and is not a zombie (an orphan's zombie waits for a PID 1 that may never reap it).
inline bool Alive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

struct ProbeResult {
  bool passed = false;
  std::string detail;
};

// A loop, a started Reaper and a Spawner. Close() SIGKILLs every tracked pid (with its group),
// lets the Reaper collect every watched child, and closes the loop.
class HealthFixture {
 public:
  HealthFixture() : spawner_(OriginalLimits::Capture()) {
    signal(SIGPIPE, SIG_IGN);  // as supd does
    uv_loop_init(&loop_);
    reaper_.emplace(loop_);
    started_ = static_cast<bool>(reaper_->Start());
  }
  ~HealthFixture() { Close(); }

  bool Close() {
    if (closed_) return true;
    closed_ = true;
    for (pid_t pid : tracked_) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    RunUntil(loop_, [&] { return reaper_->watched_count() == 0; });
    reaper_.reset();
    for (pid_t pid : tracked_) waitpid(pid, nullptr, WNOHANG);  // ECHILD once reaped
    uv_run(&loop_, UV_RUN_DEFAULT);  // close callbacks and cancelled requests finish
    return uv_loop_close(&loop_) == 0;
  }

  uv_loop_t& loop() { return loop_; }
  Reaper& reaper() { return *reaper_; }
  const Spawner& spawner() const { return spawner_; }
  bool started() const { return started_; }
  void Track(pid_t pid) {
    if (pid > 0) tracked_.insert(pid);
  }

  // A checker that appends each result to `results`.
  std::unique_ptr<HealthChecker> Checker(HealthTarget target, std::vector<ProbeResult>& results) {
    return std::make_unique<HealthChecker>(loop_, spawner_, *reaper_, std::move(target),
                                           [&results](bool passed, const std::string& detail) {
                                             results.push_back({passed, detail});
                                           });
  }

  bool WaitResults(const std::vector<ProbeResult>& results, size_t count) {
    return RunUntil(loop_, [&] { return results.size() >= count; });
  }

 private:
  uv_loop_t loop_;
  std::optional<Reaper> reaper_;
  Spawner spawner_;
  std::set<pid_t> tracked_;
  bool started_ = false;
  bool closed_ = false;
};

inline HealthTarget ExecTarget(std::vector<std::string> argv, std::chrono::milliseconds timeout = 10s,
                               std::chrono::milliseconds interval = 60'000ms) {
  HealthTarget t;
  t.spec.kind = conf::HealthKind::kExec;
  t.spec.exec = argv;
  t.spec.timeout = timeout;
  t.spec.interval = interval;
  t.exec_argv = std::move(argv);
  t.exec_env = {"PATH=/usr/bin:/bin"};
  return t;
}

inline HealthTarget TcpTarget(std::string address, std::chrono::milliseconds timeout = 10s) {
  HealthTarget t;
  t.spec.kind = conf::HealthKind::kTcp;
  t.spec.tcp = address;
  t.spec.timeout = timeout;
  t.spec.interval = 60'000ms;
  t.tcp = std::move(address);
  return t;
}

inline HealthTarget HttpTarget(std::string url, std::chrono::milliseconds timeout = 10s,
                               std::chrono::milliseconds interval = 60'000ms) {
  HealthTarget t;
  t.spec.kind = conf::HealthKind::kHttp;
  t.spec.http = url;
  t.spec.timeout = timeout;
  t.spec.interval = interval;
  t.http = std::move(url);
  return t;
}

}  // namespace sup::daemon::testing
