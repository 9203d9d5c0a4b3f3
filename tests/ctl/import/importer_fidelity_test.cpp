// SPEC §9.4: the import keeps supervisord's behaviour, not just its syntax. One test per rule.
#include <catch2/catch.hpp>

#include "import_helpers.h"

using namespace sup::ctl::import;
using namespace sup::ctl::import::testing;
using sup::conf::OnFatal;
using sup::conf::RestartPolicy;

namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("Fidelity: autorestart = true restarts for ever once started (no start limit)", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nautorestart = true\nstartretries = 2\n");
  const auto& p = imported.Program("a");
  CHECK(p.restart == RestartPolicy::kAlways);
  CHECK(p.start_limit.burst == 0);  // supervisord's startretries counts only failed starts
  CHECK(p.start_retries == 2);
  CHECK(Contains(imported.result.toml, "start_limit = { burst = 0 }"));
  CHECK(p.backoff.initial == std::chrono::seconds(1));  // supervisord restarts on its next 1 s tick
}

TEST_CASE("Fidelity: autorestart = unexpected with exitcodes -> on-failure with those codes, no limit",
          "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nautorestart = unexpected\nexitcodes = 0,2\n");
  const auto& p = imported.Program("a");
  CHECK(p.restart == RestartPolicy::kOnFailure);
  CHECK(p.exit_codes == std::vector<int>{0, 2});
  CHECK(p.start_limit.burst == 0);
}

TEST_CASE("Fidelity: autorestart = false keeps sup's default start limit (nothing restarts)", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nautorestart = false\n");
  CHECK(imported.Program("a").restart == RestartPolicy::kNever);
  CHECK_FALSE(Contains(imported.result.toml, "start_limit"));
}

TEST_CASE("Fidelity: /dev/null and NONE as log files -> no file, never a device node", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstdout_logfile = /dev/null\nstderr_logfile = NONE\n"
                         "stdout_logfile_backups = 3\n");
  const auto& p = imported.Program("a");
  CHECK(p.stdout_log.file.empty());
  CHECK(p.stderr_log.file.empty());
  CHECK_FALSE(Contains(imported.result.toml, "file = \"/dev/null\""));
  CHECK(imported.Warned(5, "no log file to rotate (/dev/null keeps none)"));
}

TEST_CASE("Fidelity: AUTO (or no key) -> a file in logs_dir, one per instance", "[ctl][import]") {
  auto imported = Import("[supervisord]\nchildlogdir = /var/log/app\n[program:a]\ncommand = /bin/a\n"
                         "stdout_logfile = AUTO\nstdout_logfile_maxbytes = 1MB\n"
                         "[program:w]\ncommand = /bin/w\nnumprocs = 2\nprocess_name = %(program_name)s_%(process_num)d\n");
  const auto& a = imported.Program("a");
  CHECK(a.stdout_log.file == "a-stdout.log");
  CHECK(a.stdout_log.max_size == 1024 * 1024);
  CHECK(imported.config.supervisor.logs_dir == "/var/log/app");
  CHECK(Contains(imported.result.toml, "file = \"w-${SUP_INSTANCE}-stdout.log\""));
  CHECK(Contains(imported.result.toml, "file = \"w-${SUP_INSTANCE}-stderr.log\""));
  CHECK(imported.Program("w").instances == 2);
}

TEST_CASE("Fidelity: %(process_num)02d in a log file name keeps one program, one file per instance",
          "[ctl][import]") {
  auto imported = Import("[program:w]\ncommand = /bin/w\nnumprocs = 3\nprocess_name = %(program_name)s_%(process_num)02d\n"
                         "stdout_logfile = /var/log/w_%(process_num)02d.log\nredirect_stderr = true\n");
  const auto& p = imported.Program("w");
  CHECK(p.instances == 3);
  CHECK(imported.config.programs.size() == 1);
  CHECK(Contains(imported.result.toml, "file = \"/var/log/w_${SUP_INSTANCE}.log\""));
  CHECK(imported.Warned(5, "one file per instance, named without it"));
}

TEST_CASE("Fidelity: %(ENV_X)s becomes ${X}, expanded when supd starts, never this machine's value",
          "[ctl][import]") {
  ImportOptions options = Options();
  options.env["RUN_AS"] = "nobody";
  options.env["SECS"] = "4";
  auto imported = Import("[program:a]\ncommand = /bin/a --home %(ENV_HOME)s\nuser = %(ENV_RUN_AS)s\n"
                         "directory = %(ENV_HOME)s\nstartsecs = %(ENV_SECS)s\n",
                         options);
  CHECK(Contains(imported.result.toml, "user = \"${RUN_AS}\""));
  CHECK(Contains(imported.result.toml, "directory = \"${HOME}\""));
  CHECK(Contains(imported.result.toml, "\"${HOME}\"]"));
  CHECK_FALSE(Contains(imported.result.toml, "\"nobody\""));
  CHECK(imported.Program("a").user == "nobody");  // read from the environment the loader is given
  // A key sup reads as a number takes no ${…}: reported, and this machine's 4 is not written.
  CHECK(imported.Warned(5, "startsecs: %(ENV_SECS)s"));
  CHECK(imported.Program("a").start_seconds == std::chrono::seconds(1));
}

TEST_CASE("Fidelity: an event listener that ends supervisord on FATAL -> on_fatal = shutdown", "[ctl][import]") {
  auto imported = Import(R"([program:web]
command = /bin/web
[program:mail]
command = /bin/mail
[eventlistener:stopper]
command = /usr/local/bin/kill_supervisor.py
events = PROCESS_STATE_FATAL
buffer_size = 10
)");
  CHECK(imported.Program("web").on_fatal == OnFatal::kShutdown);
  CHECK(imported.Program("mail").on_fatal == OnFatal::kShutdown);
  CHECK(Contains(imported.result.toml, "# from [eventlistener:stopper] (events = PROCESS_STATE_FATAL)"));
  CHECK(imported.Warned(5, "written as on_fatal = \"shutdown\" on web, mail"));
  CHECK(imported.Warned(8, "buffer_size: an event listener's key; not carried over"));
}

TEST_CASE("Fidelity: a listener whose command names programs watches only those", "[ctl][import]") {
  auto imported = Import(R"([program:web]
command = /bin/web
[program:cron]
command = /bin/cron
[eventlistener:watch]
command = bash -c "printf 'READY\n'; read line; kill -QUIT $PPID" -- --programs web
events = PROCESS_STATE_EXITED, PROCESS_STATE_FATAL
)");
  CHECK(imported.Program("web").on_fatal == OnFatal::kShutdown);
  CHECK(imported.Program("cron").on_fatal == OnFatal::kIgnore);
}

TEST_CASE("Fidelity: any other listener is a warning at its line, nothing changes", "[ctl][import]") {
  auto imported = Import("[program:web]\ncommand = /bin/web\n[eventlistener:mem]\ncommand = memmon -p web=200MB\n"
                         "events = TICK_60\n");
  CHECK(imported.Program("web").on_fatal == OnFatal::kIgnore);
  CHECK(imported.Warned(3, "[eventlistener:mem]: sup has no event listener protocol"));
}
