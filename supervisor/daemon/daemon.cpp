#include "daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include <spdlog/spdlog.h>

#include <memory>

#include "control/control_server.h"
#include "control/event_bus.h"
#include "control/log_stream.h"
#include "control/reload_reply.h"
#include "core/os_process_runner.h"
#include "core/request_handler.h"
#include "core/reloader.h"
#include "core/supervisor.h"
#include "sup/conf/expand.h"
#include "sup/base/parse_number.h"
#include "sup/conf/units.h"
#include "daemon/daemon_signals.h"
#include "core/exit_codes.h"
#include "http/http_endpoint.h"
#include "http/supervisor_source.h"
#include "systemd/systemd_notifier.h"
#include "shutdown/leftovers.h"
#include "logging/logging.h"
#include "loop/before_wait.h"
#include "loop/signal_watcher.h"
#include "loop/timer.h"
#include "loop/unique_fd.h"
#include "notify/notify_listener.h"
#include "process/reaper.h"
#include "output/output_hub.h"
#include "process/spawner.h"
#include "resources/cgroup_tree.h"
#include "resources/usage_reads.h"
#include "status/left_programs.h"
#include "status/status_segment.h"

namespace sup::daemon {
namespace {

// Signals that supd handles itself; every other catchable one in this list is forwarded
// to programs with forward_signals = true.
constexpr int kForwardable[] = {SIGQUIT, SIGUSR2, SIGWINCH, SIGALRM, SIGPWR, SIGURG, SIGCONT};

// supd's own figures for `status` (its "supd" object). /proc/self/statm is held open from
// start-up and read with one pread: an ifstream per status (open, an 8 KiB buffer, a locale,
// close) was a sixth of supd's time for `supctl status web`.
nlohmann::json SupdFigures(std::chrono::steady_clock::time_point started, int statm) {
  long resident = 0;
  char text[128];
  const ssize_t n = statm >= 0 ? ::pread(statm, text, sizeof(text) - 1, 0) : -1;
  if (n > 0) {
    const std::string_view fields(text, static_cast<std::size_t>(n));
    const auto second = fields.find(' ');  // "size resident shared ..."
    if (second != std::string_view::npos) {
      const auto rest = fields.substr(second + 1);
      resident = ParseNumber<long>(rest.substr(0, rest.find(' '))).value_or(0);
    }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                     (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  const double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return {{"pid", getpid()},
          {"version", SUP_VERSION},
          {"uptime_s", std::round(uptime * 10) / 10},
          {"rss_bytes", resident * sysconf(_SC_PAGESIZE)},
          {"cpu_s", std::round(cpu * 1000) / 1000}};
}

conf::ProgramSpec MainProgram(const std::vector<std::string>& command) {
  conf::ProgramSpec main;
  main.name = "main";
  main.command = command;
  main.restart = conf::RestartPolicy::kNever;
  main.start_seconds = conf::Duration(0);
  main.priority = 1000;  // after the config's programs have been spawned
  main.from_command_line = true;  // argv byte for byte, supd's inherited signal state
  return main;
}

// The first config snapshot: the file's programs, plus `main` with `-- CMD`.
std::shared_ptr<const conf::Config> WithMainProgram(conf::Config config,
                                                    const DaemonOptions& options) {
  if (options.main_command) config.programs.push_back(MainProgram(*options.main_command));
  return std::make_shared<const conf::Config>(std::move(config));
}

class Daemon {
 public:
  Daemon(conf::Config config, DaemonOptions options)
      : options_(std::move(options)),
        startup_config_(WithMainProgram(std::move(config), options_)),
        started_(std::chrono::steady_clock::now()),
        spawner_(options_.original_limits) {
    uv_loop_init(&loop_);
  }

  int Run() {
    if (!SetUp()) {
      TearDown();
      return kExitConfigError;
    }
    UnblockSignals();
    // supd's own log lines wake the writer thread once per loop iteration, not once each:
    // starting 200 programs logged 200 lines and woke it 200 times before the first spawn.
    log_wake_ = std::make_unique<BeforeWait>(loop_, [] { WakeLogWriter(); });
    DeferLogWakeUps(true);
    spdlog::info("supd {} (pid {}) serving {} with {} programs", SUP_VERSION, getpid(),
                 config_.supervisor.socket, config_.programs.size());
    supervisor_->StartAutostart();
    systemd_->WatchStartup();
    uv_run(&loop_, UV_RUN_DEFAULT);
    const int code = ExitCode();
    // As PID 1 the lines still deferred stay so: ExitAsPid1 writes them on this thread.
    if (IsPid1()) ExitAsPid1(code);
    DeferLogWakeUps(false);
    log_wake_.reset();
    TearDown();
    spdlog::info("supd exits with code {}", code);
    return code;
  }

 private:
  // SPEC §9.2: the mode is logged, and a cpu_max nothing can enforce is a warning.
  void SetUpCgroups() {
    std::string line;
    cgroups_ = resources::CgroupTree::Detect(config_.supervisor.cgroup, line);
    spdlog::info("{}", line);
    runner_->set_cgroups(cgroups_.get());
    if (cgroups_ && cgroups_->cpu()) return;
    for (const auto& p : config_.programs)
      if (p.cpu_max > 0)
        spdlog::warn("{}:{}: cpu_max of [program.{}] not enforced: no cgroup v2{}", p.cpu_max_pos.file,
                     p.cpu_max_pos.line, p.name, cgroups_ ? " cpu controller" : "");
  }

  bool SetUp() {
    reaper_ = std::make_unique<Reaper>(loop_);
    if (auto r = reaper_->Start(); !r) {
      spdlog::error("reaper: {}", r.error().Message());
      return false;
    }
    if (!IsPid1())
      if (auto r = BecomeSubreaper(); !r) spdlog::warn("{}", r.error().Message());

    hub_ = std::make_unique<output::OutputHub>(loop_, output::OutputHub::Options{});
    std::size_t width = 0;
    for (const auto& p : config_.programs)
      for (int i = 0; i < p.instances; ++i)
        width = std::max(width, conf::InstanceName(p, i).size());
    hub_->SetPrefixWidth(width);

    // The notify socket sits beside the control socket, whose directory the server checks.
    const std::string socket = config_.supervisor.socket;
    const std::string notify_path = socket.substr(0, socket.rfind('/') + 1) + "notify";

    if (!config_.supervisor.status_shm.empty() && !OpenStatusSegment()) return false;

    SupervisorServices services;
    services.output_hub = hub_.get();
    services.status = status_.get();
    services.notify_socket = notify_path;
    services.control_socket = socket;
    runner_ = std::make_unique<OsProcessRunner>(loop_, spawner_, *reaper_);
    resources::StartPool(loop_);  // accounting's reads (SPEC §9.2): its threads made now
    SetUpCgroups();
    services.runner = runner_.get();
    services.startup_env = options_.env;
    supervisor_ = std::make_unique<Supervisor>(std::move(services), startup_config_);
    supervisor_->AddObserver(&events_);
    supervisor_->AddObserver(&logs_);
    supervisor_->set_main_program(options_.main_command.has_value());
    supervisor_->set_on_shutdown_done([this] { OnProgramsStopped(); });
    reaper_->SetOrphanHandler([this](pid_t, ExitStatus) { OnOrphan(); });

    Reloader::Options reload;
    reload.path = config_.path;
    reload.env = options_.env;
    reload.main_command = options_.main_command;
    reload.apply_access = [this](const conf::SupervisorSpec& s) {
      if (!server_) return std::string();
      auto r = server_->SetAccess(s.allow_users, s.allow_groups);
      return r ? std::string() : r.error().Message();
    };
    reloader_ = std::make_unique<Reloader>(loop_, *supervisor_, std::move(reload));

    DaemonHooks hooks;
    hooks.reload = [this](std::shared_ptr<control::Call> call, const nlohmann::json& args) {
      if (supervisor_->shutting_down())
        return call->Fail("shutting_down", "supd is shutting down");
      reloader_->Request(control::ReloadReply(std::move(call)), args.value("dry_run", false));
    };
    hooks.supd_status = [this] {
      nlohmann::json figures = SupdFigures(started_, self_statm_.get());
      figures["notify_rejected"] = notify_ ? notify_->stats().rejected : 0;
      figures["forward_errors"] = hub_->forward_errors();
      return figures;
    };
    hooks.shutdown = [this] { supervisor_->BeginShutdown("supctl shutdown"); };
    hooks.shm_name = status_ ? status_->name() : std::string();  // "" also when it could not be had
    commands_ = std::make_unique<Commands>(*supervisor_, events_, logs_, std::move(hooks));

    control::ServerOptions server;
    server.path = config_.supervisor.socket;
    server.mode = config_.supervisor.socket_mode;
    server.group = config_.supervisor.socket_group;
    server.allow_users = config_.supervisor.allow_users;
    server.allow_groups = config_.supervisor.allow_groups;
    server_ = std::make_unique<control::ControlServer>(loop_, server, *commands_);
    // The notify socket is bound before the control socket listens: whoever sees supd answer
    // may send readiness at once. Bind() first, so that another supd serving the same path is
    // refused before its notify socket could be replaced.
    auto fail = [](const char* what, const Error& e) {
      spdlog::error("{}: {}", what, e.Message());
      std::fprintf(stderr, "supd: %s\n", e.Message().c_str());
      return false;
    };
    if (auto r = server_->Bind(); !r) return fail("control socket", r.error());
    auto listener = NotifyListener::Create(&loop_, notify_path, [this](const NotifyMessage& m) {
      const bool accepted = supervisor_->OnNotify(m);
      if (!accepted) spdlog::debug("notify: rejected a message from pid {}", m.pid);
      return accepted;
    });
    if (!listener) return fail("notify socket", listener.error());
    if (auto r = server_->Listen(); !r) return fail("control socket", r.error());
    notify_ = std::move(*listener);
    systemd_ = std::make_unique<systemd::SystemdNotifier>(
        *supervisor_, options_.env.count("NOTIFY_SOCKET") ? options_.env.at("NOTIFY_SOCKET") : "");
    return StartHttp() && WatchSignals();
  }

  // The status segment, replacing what its name held (SPEC §9.1): an untrusted object is
  // removed, and a crashed supd's programs are stopped before anything of ours starts.
  bool OpenStatusSegment() {
    const auto& s = config_.supervisor;
    std::uint32_t count = 0;
    for (const auto& p : config_.programs) count += p.instances;
    Takeover found;
    auto segment = StatusSegment::Create(s.status_shm, s.shm_mode, std::max(count, 1u), &found);
    if (!found.replaced_foreign.empty())
      spdlog::warn("status segment {}: replaced an object of {} (only supd's own uid, with no "
                   "group or other write permission, is trusted)",
                   s.status_shm, found.replaced_foreign);
    if (!segment && segment.error().code == ErrorCode::kPermission) {
      // Another user's object in sticky /dev/shm: refusing to start would let any local user
      // keep this supd down, so it runs without the segment (no `supctl top`).
      spdlog::error("{}: running without a status segment", segment.error().Message());
      return true;
    }
    if (!segment) {
      spdlog::error("{}", segment.error().Message());
      std::fprintf(stderr, "supd: %s\n", segment.error().Message().c_str());
      return false;
    }
    status_ = std::move(*segment);
    if (found.abandoned) StopLeftPrograms(*found.abandoned);
    return true;
  }

  // Programs a crashed supd left running (its segment's slots whose pid still has the recorded
  // start time) are stopped before ours start, so none runs twice. A bounded wait before the
  // loop exists (left_programs.h says why).
  static void StopLeftPrograms(const Snapshot& abandoned) {
    const auto left = FindLeftPrograms(abandoned);
    if (left.empty()) return;
    spdlog::warn("stopping {} programs left by supd pid {}", left.size(), abandoned.info.supd_pid);
    for (const auto& p : left)
      spdlog::info("{} (pid {}, left by supd pid {}): {}{}", p.name, p.pid,
                   abandoned.info.supd_pid, conf::SignalName(p.stop_signal),
                   p.kill_group ? " to its process group" : "");
    const auto result = daemon::StopLeftPrograms(left);
    for (const auto& p : result.killed)
      spdlog::warn("{} (pid {}, left by supd pid {}): stop_timeout ({}) expired: SIGKILL", p.name,
                   p.pid, abandoned.info.supd_pid, conf::FormatDuration(p.stop_timeout));
    for (const auto& p : result.stuck)
      spdlog::error("{} (pid {}, left by supd pid {}) survived SIGKILL; starting anyway", p.name,
                    p.pid, abandoned.info.supd_pid);
  }

  // [supervisor] http: off unless set; failing to serve it is a start-up failure.
  bool StartHttp() {
    if (config_.supervisor.http.empty()) return true;
    http_source_ = std::make_unique<http::SupervisorSource>(*supervisor_, started_, [this] {
      return http::DaemonFigures{server_->clients(), notify_ ? notify_->stats().rejected : 0,
                                 hub_->forward_errors()};
    });
    http::ServerOptions options;
    options.address = config_.supervisor.http;
    http_ = std::make_unique<http::HttpEndpoint>(loop_, std::move(options), *http_source_);
    if (auto r = http_->Start(); !r) {
      spdlog::error("{}", r.error().Message());
      std::fprintf(stderr, "supd: %s\n", r.error().Message().c_str());
      return false;
    }
    return true;
  }

  bool WatchSignals() {
    auto watch = [this](int signum, std::function<void(int)> fn) {
      auto w = std::make_unique<SignalWatcher>(loop_);
      if (auto r = w->Start(signum, std::move(fn)); !r) {
        spdlog::error("watch signal {}: {}", signum, r.error().Message());
        return false;
      }
      w->Unref();
      signals_.push_back(std::move(w));
      return true;
    };
    bool ok = watch(SIGTERM, [this](int) { OnStopSignal("SIGTERM"); }) &&
              watch(SIGINT, [this](int) { OnStopSignal("SIGINT"); }) &&
              watch(SIGHUP, [this](int) {
                if (supervisor_->shutting_down()) return;
                spdlog::info("SIGHUP: reloading {}", config_.path);
                reloader_->Request(nullptr, false);
              }) &&
              watch(SIGUSR1, [this](int) {
                spdlog::info("SIGUSR1: reopening log files");
                hub_->ReopenFiles();
              });
    for (int sig : kForwardable) ok = ok && watch(sig, [this](int s) { Forward(s); });
    signal(SIGPIPE, SIG_IGN);  // a vanished client must be an EPIPE, never a death
    return ok;
  }

  void OnStopSignal(const char* name) {
    if (supervisor_->shutting_down()) {
      spdlog::warn("{} during shutdown: SIGKILL to everything left", name);
      second_signal_ = true;
      supervisor_->KillEverything(std::string(name) + " during shutdown");
      if (leftover_timer_) FinishLeftovers(true);
      return;
    }
    supervisor_->BeginShutdown(name);
  }

  void Forward(int signum) {
    for (auto* i : supervisor_->AllInstances())
      if (i->spec().forward_signals) i->SendSignal(signum, i->spec().kill_group);
  }

  void OnOrphan() {
    supervisor_->OnOrphanReaped();
    if (leftover_timer_ && !AnyLeftovers(SweepScope::kNamespace)) FinishLeftovers(false);
  }

  // Every program is gone. As PID 1, end what is left in the namespace (SPEC §7) within
  // what remains of shutdown_timeout, then stop the loop. The timeout is the Supervisor's,
  // the one the last reload applied (SPEC §9.1 "Reload"), never config_'s start-up copy.
  void OnProgramsStopped() {
    if (IsPid1() && SignalLeftovers(SweepScope::kNamespace, SIGTERM)) {
      const auto timeout = supervisor_->config().supervisor.shutdown_timeout;
      auto elapsed = std::chrono::steady_clock::now() - supervisor_->shutdown_began();
      auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
      if (left.count() < 0 || second_signal_) left = std::chrono::milliseconds(0);
      spdlog::info("leftover processes got SIGTERM; SIGKILL in {} ms (shutdown_timeout {} ms)",
                   left.count(), timeout.count());
      leftover_timer_ = std::make_unique<Timer>(loop_);
      leftover_timer_->Start(left, [this] { FinishLeftovers(true); });
      return;
    }
    uv_stop(&loop_);
  }

  void FinishLeftovers(bool kill) {
    if (kill && SignalLeftovers(SweepScope::kNamespace, SIGKILL)) leftovers_killed_ = true;
    if (kill) reaper_->ReapNow();
    leftover_timer_->Stop();
    uv_stop(&loop_);
  }

  int ExitCode() const {
    if (supervisor_->main_exit_code()) return *supervisor_->main_exit_code();
    const int code = supervisor_->ShutdownExitCode();
    return code == kExitOk && (leftovers_killed_ || second_signal_) ? kExitKilled : code;
  }

  // As PID 1, supd's exit ends the namespace and the kernel reclaims every descriptor, thread
  // and mapping anyway: only what outlives the process is done (socket and shared-memory
  // names removed, captured output and supd's last lines written). TearDown's orderly rest,
  // 13 signal watchers stopped one by one, the writer threads and the loop joined, was
  // ~0.35 ms of the ~1.9 ms from SIGTERM to exit (BENCHMARKS.md pid1).
  [[noreturn]] void ExitAsPid1(int code) {
    http_.reset();
    if (server_) server_->Close();
    notify_.reset();
    events_.EndAll();
    supervisor_.reset();  // counter pages unlinked
    status_.reset();
    if (!hub_->Flush()) spdlog::warn("output: not everything could be written");
    spdlog::info("supd exits with code {}", code);
    WriteLogsBeforeExit();
    _exit(code);
  }

  void TearDown() {
    http_.reset();
    http_source_.reset();
    systemd_.reset();
    if (server_) server_->Close();
    notify_.reset();
    events_.EndAll();
    leftover_timer_.reset();
    signals_.clear();
    server_.reset();
    commands_.reset();
    reloader_.reset();
    supervisor_.reset();
    status_.reset();
    if (hub_ && !hub_->Shutdown()) spdlog::warn("output: not everything could be written");
    hub_.reset();
    if (reaper_) reaper_->Stop();
    reaper_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);  // let libuv run the close callbacks
    if (uv_loop_close(&loop_) != 0) spdlog::debug("loop closed with handles left");
  }

  DaemonOptions options_;
  // The snapshot supd started with, shared with the Supervisor (which swaps its own on
  // reload): what a reload does not apply (socket*, status_shm, http) is read from here.
  std::shared_ptr<const conf::Config> startup_config_;
  const conf::Config& config_ = *startup_config_;
  std::chrono::steady_clock::time_point started_;
  UniqueFd self_statm_{::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)};  // SupdFigures
  uv_loop_t loop_{};
  Spawner spawner_;
  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<resources::CgroupTree> cgroups_;  // outlives the runner and the instances
  std::unique_ptr<OsProcessRunner> runner_;  // outlives the Supervisor
  std::unique_ptr<output::OutputHub> hub_;  // outlives the Supervisor's instances
  std::unique_ptr<StatusSegment> status_;  // unlinked when supd exits
  // The control socket's streams observe the Supervisor, which they outlive.
  control::EventBus events_;
  control::LogStreams logs_;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<Reloader> reloader_;
  std::unique_ptr<Commands> commands_;
  std::unique_ptr<control::ControlServer> server_;
  std::unique_ptr<NotifyListener> notify_;
  std::unique_ptr<systemd::SystemdNotifier> systemd_;
  std::unique_ptr<http::SupervisorSource> http_source_;
  std::unique_ptr<http::HttpEndpoint> http_;
  std::vector<std::unique_ptr<SignalWatcher>> signals_;
  std::unique_ptr<Timer> leftover_timer_;
  std::unique_ptr<BeforeWait> log_wake_;
  bool second_signal_ = false;
  bool leftovers_killed_ = false;
};

}  // namespace

int RunDaemon(conf::Config config, DaemonOptions options) {
  Daemon daemon(std::move(config), std::move(options));
  return daemon.Run();
}

}  // namespace sup::daemon
