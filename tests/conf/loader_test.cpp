#include <csignal>
#include <sstream>

#include <catch2/catch.hpp>

#include "conf_test_util.h"

using namespace sup::conf;
using sup::conf::test::Errors;
using sup::conf::test::Load;
using sup::conf::test::LoadOk;
using sup::conf::test::TempDir;
using sup::conf::test::TestEnv;

namespace {

constexpr const char* kEveryKey = R"(
[supervisor]
socket = "/tmp/s/sup.sock"
socket_mode = "0660"
socket_group = "root"
allow_users = ["root"]
allow_groups = ["root"]
status_shm = "/sup-test"
shm_mode = "0644"
logs_dir = "/var/log/test"
shutdown_timeout = "45s"
include = []
http = "127.0.0.1:9100"

[program.db]
command = ["/usr/bin/db", "--data", "${DATA}"]
restart = "always"

[program.migrate]
command = "/usr/bin/migrate up"
restart = "never"

[program.web]
command = ["/usr/bin/web", "--port", "${SUP_INSTANCE+8000}"]
shell = false
directory = "/srv/web"
user = "root"
group = "root"
umask = "027"
environment = { B = "2", A = "${HOME}/a", N = 3, T = true }
clear_env = true
instances = 3
autostart = false
restart = "always"
exit_codes = [0, 3]
start_seconds = "2s"
start_timeout = 60
start_retries = 7
backoff = { initial = "1s", max = "1m", factor = 1.5, jitter = 0.25 }
start_limit = { burst = 0, interval = "1m" }
ready = "health"
depends_on = { db = "started", migrate = "completed" }
priority = 10
stop_signal = "INT"
stop_timeout = "20s"
kill_group = false
reload_signal = "USR2"
forward_signals = true
watchdog = "30s"
on_fatal = "shutdown"
limits = { nofile = 4096, nproc = 100, core = "unlimited" }

[program.web.stdout]
file = "web-${SUP_INSTANCE}.out.log"
max_size = "10MiB"
backups = 2
forward = false
forward_format = "json"
backpressure = "drop"
timestamps = true
ring = "128KiB"

[program.web.stderr]
file = "/var/log/web.err"
merge = false
ring = 1024

[program.web.health]
http = "http://127.0.0.1:${SUP_INSTANCE+8000}/health"
interval = "10s"
timeout = "2s"
retries = 5
start_period = "30s"
on_unhealthy = "mark"

[group.backend]
programs = ["web", "db"]
)";

}  // namespace

TEST_CASE("LoadString: a file with every key -> each value in the model", "[conf][loader]") {
  const Config c = LoadOk(kEveryKey, 0);
  const SupervisorSpec& s = c.supervisor;
  CHECK(c.path == "/etc/sup/sup.toml");
  CHECK(s.socket == "/tmp/s/sup.sock");
  CHECK(s.socket_mode == 0660);
  CHECK(s.socket_group == "root");
  CHECK(s.allow_users == std::vector<std::string>{"root"});
  CHECK(s.allow_groups == std::vector<std::string>{"root"});
  CHECK(s.status_shm == "/sup-test");
  CHECK(s.shm_mode == 0644);
  CHECK(s.logs_dir == "/var/log/test");
  CHECK(s.shutdown_timeout == Duration{45'000});
  CHECK(s.http == "127.0.0.1:9100");

  REQUIRE(c.programs.size() == 3);
  CHECK(c.programs[0].name == "db");  // file order, not alphabetical
  CHECK(c.programs[0].command == std::vector<std::string>{"/usr/bin/db", "--data", "/srv/data"});
  CHECK(c.programs[1].command == std::vector<std::string>{"/usr/bin/migrate", "up"});
  const ProgramSpec& w = c.programs[2];
  CHECK(w.name == "web");
  CHECK(w.pos.file == "/etc/sup/sup.toml");
  CHECK(w.pos.line == 23);
  CHECK(w.command == std::vector<std::string>{"/usr/bin/web", "--port", "${SUP_INSTANCE+8000}"});
  CHECK_FALSE(w.shell);
  CHECK(w.directory == "/srv/web");
  CHECK(w.user == "root");
  CHECK(w.group == "root");
  CHECK(w.umask == mode_t{027});
  const std::vector<std::pair<std::string, std::string>> env{
      {"B", "2"}, {"A", "/home/u/a"}, {"N", "3"}, {"T", "true"}};
  CHECK(w.environment == env);
  CHECK(w.clear_env);
  CHECK(w.instances == 3);
  CHECK_FALSE(w.autostart);
  CHECK(w.restart == RestartPolicy::kAlways);
  CHECK(w.exit_codes == std::vector<int>{0, 3});
  CHECK(w.start_seconds == Duration{2'000});
  CHECK(w.start_timeout == Duration{60'000});
  CHECK(w.start_retries == 7);
  CHECK(w.backoff.initial == Duration{1'000});
  CHECK(w.backoff.max == Duration{60'000});
  CHECK(w.backoff.factor == 1.5);
  CHECK(w.backoff.jitter == 0.25);
  CHECK(w.start_limit.burst == 0);
  CHECK(w.start_limit.interval == Duration{60'000});
  CHECK(w.ready == ReadyMode::kHealth);
  REQUIRE(w.depends_on.size() == 2);
  CHECK(w.depends_on[0].program == "db");
  CHECK(w.depends_on[0].condition == DependencyCondition::kStarted);
  CHECK(w.depends_on[1].program == "migrate");
  CHECK(w.depends_on[1].condition == DependencyCondition::kCompleted);
  CHECK(w.priority == 10);
  CHECK(w.stop_signal == SIGINT);
  CHECK(w.stop_timeout == Duration{20'000});
  CHECK_FALSE(w.kill_group);
  CHECK(w.reload_signal == SIGUSR2);
  CHECK(w.forward_signals);
  CHECK(w.watchdog == Duration{30'000});
  CHECK(w.on_fatal == OnFatal::kShutdown);
  CHECK(w.limits.nofile == 4096);
  CHECK(w.limits.nproc == 100);
  CHECK(w.limits.core == ~std::uint64_t{0});
  CHECK(w.stdout_log.file == "web-${SUP_INSTANCE}.out.log");
  CHECK(w.stdout_log.max_size == 10u * 1024 * 1024);
  CHECK(w.stdout_log.backups == 2);
  CHECK_FALSE(w.stdout_log.forward);
  CHECK(w.stdout_log.forward_format == ForwardFormat::kJson);
  CHECK(w.stdout_log.backpressure == Backpressure::kDrop);
  CHECK(w.stdout_log.timestamps);
  CHECK(w.stdout_log.ring == 128u * 1024);
  CHECK(w.stderr_log.file == "/var/log/web.err");
  CHECK_FALSE(w.stderr_log.merge);
  CHECK(w.stderr_log.ring == 1024);
  CHECK(w.stderr_log.forward);  // untouched keys keep their defaults
  CHECK(w.health.kind == HealthKind::kHttp);
  CHECK(w.health.http == "http://127.0.0.1:${SUP_INSTANCE+8000}/health");
  CHECK(w.health.interval == Duration{10'000});
  CHECK(w.health.timeout == Duration{2'000});
  CHECK(w.health.retries == 5);
  CHECK(w.health.start_period == Duration{30'000});
  CHECK(w.health.on_unhealthy == OnUnhealthy::kMark);

  REQUIRE(c.groups.size() == 1);
  CHECK(c.groups[0].name == "backend");
  CHECK(c.groups[0].programs == std::vector<std::string>{"web", "db"});
  CHECK(c.FindProgram("web") == &c.programs[2]);
  CHECK(c.FindGroup("backend") == &c.groups[0]);
  CHECK(c.FindProgram("backend") == nullptr);
}

TEST_CASE("LoadString: a program with only a command -> every SPEC default", "[conf][loader]") {
  const Config c = LoadOk("[program.a]\ncommand = [\"/bin/true\"]\n");
  REQUIRE(c.programs.size() == 1);
  const ProgramSpec& p = c.programs[0];
  const ProgramSpec d;  // config.h's defaults are SPEC §3's
  CHECK(p.shell == d.shell);
  CHECK(p.directory.empty());
  CHECK(p.user.empty());
  CHECK_FALSE(p.umask.has_value());
  CHECK(p.environment.empty());
  CHECK(p.instances == 1);
  CHECK(p.autostart);
  CHECK(p.restart == RestartPolicy::kOnFailure);
  CHECK(p.exit_codes == std::vector<int>{0});
  CHECK(p.start_seconds == Duration{1'000});
  CHECK(p.start_timeout == Duration{90'000});
  CHECK(p.start_retries == 5);
  CHECK(p.backoff.initial == Duration{100});
  CHECK(p.backoff.max == Duration{30'000});
  CHECK(p.backoff.factor == 2.0);
  CHECK(p.backoff.jitter == 0.1);
  CHECK(p.start_limit.burst == 5);
  CHECK(p.start_limit.interval == Duration{10'000});
  CHECK(p.ready == ReadyMode::kStarted);
  CHECK(p.depends_on.empty());
  CHECK(p.priority == 100);
  CHECK(p.stop_signal == SIGTERM);
  CHECK(p.stop_timeout == Duration{10'000});
  CHECK(p.kill_group);
  CHECK(p.reload_signal == SIGHUP);
  CHECK_FALSE(p.forward_signals);
  CHECK_FALSE(p.watchdog.has_value());
  CHECK(p.on_fatal == OnFatal::kIgnore);
  CHECK(p.limits.nofile == 0);
  CHECK(p.stdout_log.file.empty());
  CHECK(p.stdout_log.max_size == 50'000'000u);
  CHECK(p.stdout_log.backups == 5);
  CHECK(p.stdout_log.forward);
  CHECK(p.stdout_log.ring == 64u * 1024);
  CHECK(p.health.kind == HealthKind::kNone);

  const SupervisorSpec& s = c.supervisor;
  CHECK(s.socket == "/run/user/1000/sup/sup.sock");
  CHECK(s.socket_mode == 0600);
  // Not root's default socket: a name of its own (SPEC §9.1), two users' supd never share one.
  CHECK(s.status_shm == DefaultStatusShm("/run/user/1000/sup/sup.sock"));
  CHECK(s.status_shm != "/sup");
  CHECK(s.shm_mode == 0640);
  CHECK(s.logs_dir == "/home/u/.local/state/sup/log");
  CHECK(s.shutdown_timeout == Duration{30'000});
  CHECK(s.http.empty());
}

TEST_CASE("LoadString: root supd -> /run/sup socket and /var/log/sup logs", "[conf][loader]") {
  const Config c = LoadOk("", 0);
  CHECK(c.supervisor.socket == "/run/sup/sup.sock");
  CHECK(c.supervisor.status_shm == "/sup");
  CHECK(c.supervisor.logs_dir == "/var/log/sup");
  CHECK(c.programs.empty());
}

TEST_CASE("LoadString: status_shm follows the socket unless it is set", "[conf][loader]") {
  CHECK(LoadOk("[supervisor]\nsocket = \"/tmp/x/s.sock\"\n", 0).supervisor.status_shm ==
        DefaultStatusShm("/tmp/x/s.sock"));
  CHECK(LoadOk("[supervisor]\nsocket = \"/run/sup/sup.sock\"\n", 0).supervisor.status_shm == "/sup");
  CHECK(LoadOk("[supervisor]\nsocket = \"/tmp/x/s.sock\"\nstatus_shm = \"\"\n", 0)
            .supervisor.status_shm.empty());
  CHECK(LoadOk("[supervisor]\nsocket = \"/tmp/x/s.sock\"\nstatus_shm = \"/mine\"\n", 0)
            .supervisor.status_shm == "/mine");
}

TEST_CASE("DefaultSocketPath and DefaultLogsDir: non-root fallbacks follow XDG, then HOME, then /tmp",
          "[conf][loader]") {
  CHECK(DefaultSocketPath(1000, {{"XDG_RUNTIME_DIR", "/run/user/1000"}}) == "/run/user/1000/sup/sup.sock");
  CHECK(DefaultSocketPath(1000, {}) == "/tmp/sup-1000/sup.sock");
  CHECK(DefaultSocketPath(0, {{"XDG_RUNTIME_DIR", "/x"}}) == "/run/sup/sup.sock");
  CHECK(DefaultLogsDir(1000, {{"XDG_STATE_HOME", "/s"}, {"HOME", "/h"}}) == "/s/sup/log");
  CHECK(DefaultLogsDir(1000, {{"HOME", "/h"}}) == "/h/.local/state/sup/log");
  CHECK(DefaultLogsDir(0, {{"HOME", "/h"}}) == "/var/log/sup");
}

TEST_CASE("ResolveConfigPath: -c, else $SUP_CONFIG, else /etc/sup/sup.toml", "[conf][loader]") {
  CHECK(ResolveConfigPath(std::string("/a.toml"), {{"SUP_CONFIG", "/b.toml"}}) == "/a.toml");
  CHECK(ResolveConfigPath(std::nullopt, {{"SUP_CONFIG", "/b.toml"}}) == "/b.toml");
  CHECK(ResolveConfigPath(std::nullopt, {}) == "/etc/sup/sup.toml");
}

TEST_CASE("LoadString: allow_users without socket_mode -> socket_mode 0666", "[conf][loader]") {
  CHECK(LoadOk("[supervisor]\nallow_users = [\"root\"]\n").supervisor.socket_mode == 0666);
  CHECK(LoadOk("[supervisor]\nallow_groups = [\"root\"]\nsocket_mode = \"0660\"\n").supervisor.socket_mode == 0660);
}

TEST_CASE("LoadString: relative logs_dir -> absolute, in the config file's directory", "[conf][loader]") {
  const Config c = LoadOk("[supervisor]\nlogs_dir = \"logs\"\n");
  CHECK(c.supervisor.logs_dir == "/etc/sup/logs");
}

TEST_CASE("LoadString: integer and float durations -> seconds, integer sizes -> bytes",
          "[conf][loader]") {
  const Config c = LoadOk(R"(
[program.a]
command = "/bin/a"
stop_timeout = 3
start_seconds = 0.5
watchdog = "0"
stdout = { max_size = 1000 }
)");
  const ProgramSpec& p = c.programs[0];
  CHECK(p.stop_timeout == Duration{3'000});
  CHECK(p.start_seconds == Duration{500});
  CHECK_FALSE(p.watchdog.has_value());
  CHECK(p.stdout_log.max_size == 1000u);
}

TEST_CASE("LoadString: depends_on as a list -> each dependency must be ready", "[conf][loader]") {
  const Config c = LoadOk(R"(
[program.db]
command = "/bin/db"
[program.cache]
command = "/bin/cache"
[program.web]
command = "/bin/web"
depends_on = ["db", "cache"]
)");
  const auto& deps = c.programs[2].depends_on;
  REQUIRE(deps.size() == 2);
  CHECK(deps[0].program == "db");
  CHECK(deps[0].condition == DependencyCondition::kReady);
  CHECK(deps[1].program == "cache");
}

TEST_CASE("LoadString: health exec, tcp and stderr merge -> parsed", "[conf][loader]") {
  const Config c = LoadOk(R"(
[program.a]
command = "/bin/a"
stderr = { merge = true }
health = { exec = ["/bin/check", "--quick"] }
[program.b]
command = "/bin/b"
ready = "notify"
[program.b.health]
tcp = "127.0.0.1:${PORT}"
)");
  CHECK(c.programs[0].stderr_log.merge);
  CHECK(c.programs[0].health.kind == HealthKind::kExec);
  CHECK(c.programs[0].health.exec == std::vector<std::string>{"/bin/check", "--quick"});
  CHECK(c.programs[1].ready == ReadyMode::kNotify);
  CHECK(c.programs[1].health.kind == HealthKind::kTcp);
  CHECK(c.programs[1].health.tcp == "127.0.0.1:8080");
}

TEST_CASE("LoadFile: a missing file -> one error naming the file and the OS error", "[conf][loader]") {
  const LoadResult r = LoadFile("/nonexistent/sup.toml", TestEnv(), 1000);
  REQUIRE(r.errors.size() == 1);
  CHECK_FALSE(r.config);
  CHECK(r.errors[0].ToString() == "/nonexistent/sup.toml: cannot read config file: No such file or directory");
}

TEST_CASE("RunCheck: valid file -> 0 and an ok line, invalid file -> 2 and every error", "[conf][loader]") {
  TempDir dir;
  const std::string good = dir.Write("good.toml", "[program.a]\ncommand = \"/bin/a\"\n[group.g]\nprograms = [\"a\"]\n");
  const std::string bad = dir.Write("bad.toml", "[program.a]\nrestat = 1\n[program.b]\ninstances = 0\n");
  std::ostringstream out, err;
  CHECK(RunCheck(good, TestEnv(), 1000, out, err) == 0);
  CHECK(out.str() == good + ": ok (1 programs, 1 groups)\n");
  CHECK(err.str().empty());
  out.str("");
  CHECK(RunCheck(bad, TestEnv(), 1000, out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str() == bad + ":2:1: unknown key `restat` in [program.a] \u2014 did you mean `restart`?\n" +
                         bad + ":1:1: missing `command` in [program.a] (it is required)\n" +
                         bad + ":3:1: missing `command` in [program.b] (it is required)\n" +
                         bad + ":4:13: `instances` in [program.b] must be between 1 and 100000, not 0\n");
}

TEST_CASE("RunCheck: conf/examples/full.toml and demo.toml -> valid", "[conf][loader]") {
  for (const char* name : {"/full.toml", "/demo.toml"}) {
    std::ostringstream out, err;
    const std::string path = std::string(SUP_CONF_EXAMPLES_DIR) + name;
    INFO(path);
    CHECK(RunCheck(path, TestEnv(), 1000, out, err) == 0);
    CHECK(err.str() == "");
  }
}

TEST_CASE("LoadString: TOML octal integers for modes and unlimited limits -> accepted", "[conf][loader]") {
  const Config c = LoadOk(R"(
[supervisor]
shm_mode = 0o600
[program.a]
command = "/bin/a"
umask = 0o077
limits = { nofile = "unlimited", core = "1GiB" }
)");
  CHECK(c.supervisor.shm_mode == 0600);
  CHECK(c.programs[0].umask == mode_t{077});
  CHECK(c.programs[0].limits.nofile == ~std::uint64_t{0});
  CHECK(c.programs[0].limits.core == 1'073'741'824u);
  CHECK(c.programs[0].limits.nproc == 0);
}

TEST_CASE("DefaultStatusShm: /sup for root's default socket, else a hash of the path", "[conf][loader]") {
  CHECK(DefaultStatusShm("/run/sup/sup.sock") == "/sup");
  CHECK(DefaultStatusShm("/run/sup/../sup/./sup.sock") == "/sup");
  const std::string a = DefaultStatusShm("/tmp/a/sup.sock");
  CHECK(a.size() == 13);
  CHECK(a.rfind("/sup-", 0) == 0);
  CHECK(a != DefaultStatusShm("/tmp/b/sup.sock"));
  // FNV-1a 32 of "/tmp/a/sup.sock", as docs/protocol.md shows how to compute it.
  std::uint32_t h = 2166136261u;
  for (unsigned char c : std::string("/tmp/a/sup.sock")) h = (h ^ c) * 16777619u;
  char want[16];
  std::snprintf(want, sizeof(want), "/sup-%08x", h);
  CHECK(a == want);
}
