// Shared by the process tests: bounded waits on a real uv loop, reading a child's pipe with a
// deadline, temp dirs, and a Spawner + Reaper pair whose children are always killed by pid.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "process/reaper.h"
#include "process/spawner.h"

namespace sup::daemon::testing {

using namespace std::chrono_literals;

inline constexpr auto kWait = std::chrono::milliseconds(15'000);  // generous: shared machines

// Runs `loop` until done() holds or `limit` passes; returns done(). A prepare handle checks
// done() before each poll and stops the loop, so work done by timers that ran before the poll
// (a re-armed 0 ms timer) cannot leave uv_run blocked until the deadline.
inline bool RunLoopUntil(uv_loop_t& loop, const std::function<bool()>& done,
                         std::chrono::milliseconds limit = kWait) {
  struct Guard {
    const std::function<bool()>* done;
    bool expired = false;
  } guard{&done};
  uv_prepare_t check;
  uv_timer_t deadline;
  uv_prepare_init(&loop, &check);
  uv_timer_init(&loop, &deadline);
  check.data = &guard;
  deadline.data = &guard;
  uv_prepare_start(&check, [](uv_prepare_t* p) {
    if ((*static_cast<Guard*>(p->data)->done)()) uv_stop(p->loop);
  });
  uv_timer_start(&deadline, [](uv_timer_t* t) {
    static_cast<Guard*>(t->data)->expired = true;
    uv_stop(t->loop);
  }, static_cast<uint64_t>(limit.count()), 0);
  while (!done() && !guard.expired) uv_run(&loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);  // both closes complete before the handles leave scope
  return done();
}

inline bool RunUntil(uv_loop_t& loop, const std::function<bool()>& done, std::chrono::milliseconds limit = kWait) {
  return RunLoopUntil(loop, done, limit);
}

// Reads `fd` (non-blocking or not) until EOF or the deadline.
inline std::string ReadToEof(int fd, std::chrono::milliseconds limit = kWait) {
  std::string out;
  const auto until = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      break;
    }
  }
  return out;
}

// Reads `fd` until a full line has arrived (or the deadline); returns it without '\n'.
inline std::string ReadLine(int fd, std::chrono::milliseconds limit = kWait) {
  std::string out;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    const ssize_t n = read(fd, &c, 1);
    if (n == 1 && c == '\n') return out;
    if (n == 1) out += c;
    if (n == 0) break;
  }
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sup-process-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// /proc/<pid>/stat field 22 (the comm, field 2, may hold spaces: count after its ')').
inline std::uint64_t ProcStartTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return std::stoull(field);
}

inline SpawnRequest WorkerRequest(std::vector<std::string> actions) {
  SpawnRequest request;
  request.argv.push_back(FAKE_WORKER);
  for (auto& a : actions) request.argv.push_back(std::move(a));
  request.env = {"PATH=/usr/bin:/bin"};
  return request;
}

// A loop, a started Reaper and a Spawner; every pid handed to Track() is SIGKILLed (with its
// group) at the end, and the loop must close with no handle left.
class ProcessFixture {
 public:
  ProcessFixture() : spawner_(OriginalLimits::Capture()) {
    uv_loop_init(&loop_);
    reaper_.emplace(loop_);
    started_ = static_cast<bool>(reaper_->Start());
  }
  ~ProcessFixture() { Close(); }

  // Kills every tracked pid and its group, closes the loop; true when no handle leaked.
  // Tests end with REQUIRE(fixture.Close()).
  bool Close() {
    if (closed_) return true;
    closed_ = true;
    for (pid_t pid : tracked_) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    for (pid_t pid : tracked_) waitpid(pid, nullptr, 0);  // ECHILD if already reaped
    reaper_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);  // lets close callbacks free the handles
    return uv_loop_close(&loop_) == 0;
  }

  uv_loop_t& loop() { return loop_; }
  Reaper& reaper() { return *reaper_; }
  const Spawner& spawner() const { return spawner_; }
  Spawner& spawner() { return spawner_; }
  bool started() const { return started_; }
  void Track(pid_t pid) { tracked_.insert(pid); }

  // Spawns, tracks and watches; `exit` receives the status once reaped.
  Result<SpawnedChild> Spawn(const SpawnRequest& request, std::optional<ExitStatus>* exit = nullptr) {
    auto child = spawner_.Spawn(request);
    if (child) {
      Track(child->pid);
      reaper_->Watch(child->pid, [exit](ExitStatus status) {
        if (exit) *exit = status;
      });
    }
    return child;
  }

  // Waits until `exit` has a value.
  bool WaitExit(const std::optional<ExitStatus>& exit) {
    return RunUntil(loop_, [&] { return exit.has_value(); });
  }

 private:
  uv_loop_t loop_;
  std::optional<Reaper> reaper_;
  Spawner spawner_;
  std::set<pid_t> tracked_;
  bool started_ = false;
  bool closed_ = false;
};

}  // namespace sup::daemon::testing
