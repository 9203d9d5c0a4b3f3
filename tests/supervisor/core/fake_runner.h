// FakeRunner: a ProcessRunner with no processes and a clock moved by hand, so that the
// Supervisor's rules run as in supd but every OS answer comes from the test: spawns succeed
// with pids counting up from 100 (or fail, per argv[0]), signals are recorded, "pid P exited
// with C" is Exit(P, C), "time advances by T" is Advance(T) (timers fire in deadline order,
// each at its own deadline), and a health probe's result is Probe(passed).
#pragma once

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/process_runner.h"

namespace sup::daemon::testing {

class FakeRunner final : public ProcessRunner {
 public:
  struct Signal {
    pid_t pid;
    int signal;
    bool to_group;
    bool operator==(const Signal&) const = default;
  };

  TimePoint now = TimePoint{} + std::chrono::hours(1);
  pid_t next_pid = 100;
  std::vector<SpawnRequest> spawns;          // every request, in order
  std::vector<Signal> signals;               // every kill, in order
  std::map<std::string, std::string> spawn_errors;  // argv[0] -> the exec error to report
  std::set<pid_t> live_groups;               // groups GroupAlive() reports alive

  TimePoint Now() override { return now; }

  std::unique_ptr<DeadlineTimer> NewTimer() override {
    return std::make_unique<FakeTimer>(*this);
  }

  Result<SpawnedChild> Spawn(const SpawnRequest& request) override {
    spawns.push_back(request);
    if (auto it = spawn_errors.find(request.argv.at(0)); it != spawn_errors.end())
      return Fail(Error{ErrorCode::kSystem, 0, it->second});
    SpawnedChild child;
    child.pid = next_pid++;
    return child;
  }

  void Watch(pid_t pid, ExitFn on_exit) override { watched_[pid] = std::move(on_exit); }
  void Unwatch(pid_t pid) override { watched_.erase(pid); }
  bool Watching(pid_t pid) const { return watched_.count(pid) != 0; }

  Result<void> Kill(pid_t pid, int signal, bool to_group) override {
    signals.push_back({pid, signal, to_group});
    return {};
  }
  bool GroupAlive(pid_t pgid) override { return live_groups.count(pgid) != 0; }

  std::unique_ptr<HealthProbes> StartHealthChecks(HealthTarget, ProbeFn on_result) override {
    auto probes = std::make_unique<FakeProbes>(*this, std::move(on_result));
    probes_.push_back(probes.get());
    return probes;
  }

  // --- what the test says happened ---

  // The watched `pid` was reaped with `status` (false when nobody watches it).
  bool Exit(pid_t pid, ExitStatus status) {
    auto it = watched_.find(pid);
    if (it == watched_.end()) return false;
    ExitFn fn = std::move(it->second);
    watched_.erase(it);
    fn(status);
    return true;
  }
  bool Exit(pid_t pid, int code) { return Exit(pid, ExitStatus::Code(code)); }

  // Moves the clock by `d`, firing every timer that falls due on the way, each at its deadline.
  void Advance(Clock::duration d) {
    const TimePoint until = now + d;
    while (FakeTimer* due = NextDue(until)) {
      now = std::max(now, due->deadline);
      due->Fire();
    }
    now = until;
  }
  // Fires what is due now ("the next loop iteration").
  void RunDue() { Advance(Clock::duration::zero()); }

  // Whether any signal `signal` went to `pid` (as pid or group).
  bool Signalled(pid_t pid, int signal) const {
    return std::any_of(signals.begin(), signals.end(),
                       [&](const Signal& s) { return s.pid == pid && s.signal == signal; });
  }

  // The newest running health checks report a probe result.
  void Probe(bool passed, const std::string& detail = "fake probe") {
    for (auto it = probes_.rbegin(); it != probes_.rend(); ++it)
      if ((*it)->running) {
        auto fn = (*it)->on_result;
        fn(passed, detail);
        return;
      }
  }
  bool ProbesRunning() const {
    return std::any_of(probes_.begin(), probes_.end(), [](auto* p) { return p->running; });
  }

 private:
  struct FakeTimer final : DeadlineTimer {
    explicit FakeTimer(FakeRunner& runner) : runner(runner) { runner.timers_.insert(this); }
    ~FakeTimer() override { runner.timers_.erase(this); }
    void Start(std::chrono::milliseconds after, std::function<void()> f) override {
      deadline = runner.now + std::max(after, std::chrono::milliseconds(0));
      fn = std::move(f);
      armed = true;
      sequence = runner.next_sequence_++;
    }
    void Stop() override {
      armed = false;
      fn = nullptr;
    }
    bool active() const override { return armed; }
    void Fire() {  // as Timer::OnFire: the callback may re-arm or destroy this timer
      armed = false;
      auto f = std::move(fn);
      fn = nullptr;
      if (f) f();
    }
    FakeRunner& runner;
    TimePoint deadline{};
    std::function<void()> fn;
    bool armed = false;
    std::uint64_t sequence = 0;
  };
  struct FakeProbes final : HealthProbes {
    FakeProbes(FakeRunner& runner, ProbeFn on_result)
        : runner(runner), on_result(std::move(on_result)) {}
    ~FakeProbes() override { std::erase(runner.probes_, this); }
    void Stop() override { running = false; }
    FakeRunner& runner;
    ProbeFn on_result;
    bool running = true;
  };

  // The armed timer due first by `until` (ties: the one armed first, as libuv orders them).
  FakeTimer* NextDue(TimePoint until) {
    FakeTimer* best = nullptr;
    for (FakeTimer* t : timers_)
      if (t->armed && t->deadline <= until &&
          (!best || t->deadline < best->deadline ||
           (t->deadline == best->deadline && t->sequence < best->sequence)))
        best = t;
    return best;
  }

  std::map<pid_t, ExitFn> watched_;
  std::set<FakeTimer*> timers_;
  std::vector<FakeProbes*> probes_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace sup::daemon::testing
