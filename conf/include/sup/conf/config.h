// The validated configuration model: plain structs with every default of SPEC §3 filled in.
// Produced by conf::LoadFile (loader.h); read by supd and supctl. No libuv, no TOML here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sup::conf {

using Duration = std::chrono::milliseconds;

// Where a value came from, for error messages and for `supd --check`.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };
enum class ReadyMode { kStarted, kNotify, kHealth };
enum class DependencyCondition { kStarted, kReady, kCompleted };
enum class Backpressure { kBlock, kDrop };
enum class ForwardFormat { kPrefix, kJson };
enum class HealthKind { kNone, kExec, kTcp, kHttp };
enum class OnUnhealthy { kRestart, kMark };
enum class OnFatal { kIgnore, kShutdown };
enum class CgroupMode { kAuto, kOff };

struct Backoff {
  Duration initial{100};
  Duration max{30'000};
  double factor = 2.0;
  double jitter = 0.1;
};

struct StartLimit {
  int burst = 5;  // 0 disables the limit
  Duration interval{10'000};
};

struct Limits {  // 0 = inherit supd's own limit
  std::uint64_t nofile = 0;
  std::uint64_t nproc = 0;
  std::uint64_t core = 0;
};

struct Dependency {
  std::string program;
  DependencyCondition condition = DependencyCondition::kReady;
};

// [program.X.stdout] / [program.X.stderr]. `file` may still hold ${SUP_INSTANCE}-style
// placeholders: use ForInstance() (expand.h) for the concrete path.
struct OutputSpec {
  // SPEC §9.1: the memory one instance's ring may take (a larger sum is a config error).
  static constexpr std::uint64_t kMaxInstanceRing = 64u << 20;

  std::string file;  // "" = no file; relative paths resolve in supervisor.logs_dir
  std::uint64_t max_size = 50'000'000;  // 0 = never rotate
  int backups = 5;
  bool forward = true;
  ForwardFormat forward_format = ForwardFormat::kPrefix;
  Backpressure backpressure = Backpressure::kBlock;
  bool timestamps = false;
  // An instance's ring holds stdout.ring + stderr.ring bytes: at most kMaxInstanceRing.
  std::uint64_t ring = 64 * 1024;
  bool merge = false;  // stderr only: send stderr into stdout's sinks
};

struct HealthSpec {
  HealthKind kind = HealthKind::kNone;
  std::vector<std::string> exec;  // kExec: argv
  std::string tcp;                // kTcp: "host:port"
  std::string http;               // kHttp: URL
  Duration interval{5'000};
  Duration timeout{1'000};
  int retries = 3;
  Duration start_period{0};
  OnUnhealthy on_unhealthy = OnUnhealthy::kRestart;
};

// One [program.NAME] table. Strings that SPEC §3 expands per instance (command, directory,
// environment values, log files, health exec/tcp/http) keep their ${SUP_PROGRAM},
// ${SUP_INSTANCE}, ${SUP_INSTANCE+N} placeholders and their `$$` escapes here; every other
// ${VAR} is already expanded from supd's environment at load time.
struct ProgramSpec {
  std::string name;
  SourcePos pos;  // the [program.NAME] header

  std::vector<std::string> command;  // argv; with shell = true: {"/bin/sh", "-c", STRING}
  bool shell = false;
  std::string directory;
  std::string user;
  std::string group;
  std::optional<mode_t> umask;
  std::vector<std::pair<std::string, std::string>> environment;  // in file order
  bool clear_env = false;
  int instances = 1;
  bool autostart = true;
  RestartPolicy restart = RestartPolicy::kOnFailure;
  std::vector<int> exit_codes{0};
  Duration start_seconds{1'000};
  Duration start_timeout{90'000};  // 0 = none
  int start_retries = 5;
  Backoff backoff;
  StartLimit start_limit;
  ReadyMode ready = ReadyMode::kStarted;
  std::vector<Dependency> depends_on;
  int priority = 100;
  int stop_signal = 15;  // signal numbers; names are parsed by the loader
  Duration stop_timeout{10'000};
  bool kill_group = true;
  int reload_signal = 1;
  bool forward_signals = false;
  std::optional<Duration> watchdog;
  OnFatal on_fatal = OnFatal::kIgnore;
  Limits limits;
  OutputSpec stdout_log;
  OutputSpec stderr_log;
  HealthSpec health;
  // Per-program resources (SPEC §9.2). memory_max 0 = no limit; cpu_max 0 = none, else percent
  // of one CPU ("50%" -> 50). cpu_max_pos: where it was set, for the warning supd gives when no
  // cgroup v2 can enforce it.
  std::uint64_t memory_max = 0;
  Duration memory_check_interval{5'000};
  int cpu_max = 0;
  SourcePos cpu_max_pos;
  // Not a config key: the program given after `--` (`supd -c FILE -- CMD`). Its argv is passed
  // byte for byte (no `$$` or ${SUP_...} expansion) and it starts with the signal mask and
  // ignored signals supd inherited (SPEC §9.6).
  bool from_command_line = false;
};

struct GroupSpec {
  std::string name;
  SourcePos pos;
  std::vector<std::string> programs;
};

struct SupervisorSpec {
  std::string socket;  // resolved default when unset (DefaultSocketPath)
  mode_t socket_mode = 0600;  // 0666 by default when allow_users/allow_groups is set
  std::string socket_group;
  std::vector<std::string> allow_users;
  std::vector<std::string> allow_groups;
  std::string status_shm = "/sup";  // "" disables it; unset: DefaultStatusShm(socket)
  mode_t shm_mode = 0640;
  std::string logs_dir;  // resolved default when unset
  Duration shutdown_timeout{30'000};
  std::vector<std::string> include;
  std::string http;  // "" = off
  CgroupMode cgroup = CgroupMode::kAuto;  // SPEC §9.2: a child cgroup per instance when possible
};

struct Config {
  std::string path;  // the main file, as given
  SupervisorSpec supervisor;
  std::vector<ProgramSpec> programs;  // in order of appearance (main file, then includes)
  std::vector<GroupSpec> groups;

  const ProgramSpec* FindProgram(const std::string& name) const;
  const GroupSpec* FindGroup(const std::string& name) const;
};

// supd's environment, captured once at start-up; passed in so that loading is pure.
using Environment = std::map<std::string, std::string>;

}  // namespace sup::conf
