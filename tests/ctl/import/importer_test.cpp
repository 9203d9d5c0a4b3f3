// `supctl import supervisord` on [program:x] sections: each key of supervisord's, the output
// loaded with sup's own loader and compared with what supervisord would have run.
#include "import_helpers.h"

#include "sup/conf/expand.h"

using namespace sup::ctl::import;
using namespace sup::ctl::import::testing;
using sup::conf::RestartPolicy;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> Argv(const Imported& imported, const std::string& name, int index = 0) {
  const auto& p = imported.Program(name);
  return sup::conf::ForInstance(p, index, imported.config.supervisor).argv;
}

}  // namespace

TEST_CASE("Import: a program with every process key -> the sup program that means the same", "[ctl][import]") {
  auto imported = Import(R"([program:web]
command = /usr/bin/python3 -m http.server 8080
directory = /srv/www
umask = 022
user = nobody
environment = LANG="C.UTF-8",MODE=prod
priority = 10
autostart = false
autorestart = true
exitcodes = 0,2
startsecs = 5
startretries = 7
stopsignal = INT
stopwaitsecs = 30
stopasgroup = true
killasgroup = true
)");
  const auto& p = imported.Program("web");
  CHECK(p.command == std::vector<std::string>{"/usr/bin/python3", "-m", "http.server", "8080"});
  CHECK_FALSE(p.shell);
  CHECK(p.directory == "/srv/www");
  CHECK(p.umask == std::optional<mode_t>(022));
  CHECK(p.user == "nobody");
  CHECK(p.environment == std::vector<std::pair<std::string, std::string>>{{"LANG", "C.UTF-8"}, {"MODE", "prod"}});
  CHECK(p.priority == 10);
  CHECK_FALSE(p.autostart);
  CHECK(p.restart == RestartPolicy::kAlways);
  CHECK(p.exit_codes == std::vector<int>{0, 2});
  CHECK(p.start_seconds == 5s);
  CHECK(p.start_retries == 7);
  CHECK(p.stop_signal == 2);
  CHECK(p.stop_timeout == 30s);
  CHECK(p.kill_group);
  CHECK(p.instances == 1);
  CHECK(imported.result.warnings.empty());
}

TEST_CASE("Import: a program with only a command -> supervisord's defaults written out", "[ctl][import]") {
  auto imported = Import("[program:app]\ncommand = /bin/app\n");
  const auto& p = imported.Program("app");
  CHECK(p.restart == RestartPolicy::kOnFailure);  // autorestart = unexpected
  CHECK(p.start_retries == 3);                     // supervisord's 3, not sup's 5
  CHECK_FALSE(p.kill_group);                       // supervisord signals the leader only
  CHECK(p.start_seconds == 1s);
  CHECK(p.stop_timeout == 10s);
  CHECK(p.autostart);
  CHECK(p.priority == 100);  // no priority anywhere: none written
  CHECK_FALSE(p.stdout_log.forward);
  CHECK_FALSE(p.stderr_log.forward);
  CHECK(p.stdout_log.file == "app-stdout.log");  // AUTO: a file in logs_dir
  CHECK(p.stderr_log.file == "app-stderr.log");
  CHECK(p.start_limit.burst == 0);  // restarted for ever once started, as supervisord does
}

TEST_CASE("Import: autorestart true, false, unexpected -> always, never, on-failure", "[ctl][import]") {
  auto imported = Import(R"([program:a]
command = /bin/a
autorestart = TRUE
[program:b]
command = /bin/b
autorestart = off
startsecs = 3
[program:c]
command = /bin/c
autorestart = unexpected
[program:d]
command = /bin/d
autorestart = sometimes
)");
  CHECK(imported.Program("a").restart == RestartPolicy::kAlways);
  CHECK(imported.Program("b").restart == RestartPolicy::kNever);
  CHECK(imported.Warned(7, "startsecs has no effect"));
  CHECK(imported.Program("c").restart == RestartPolicy::kOnFailure);
  CHECK(imported.Program("d").restart == RestartPolicy::kOnFailure);
  CHECK(imported.Warned(13, "autorestart: `sometimes` is not true, false or unexpected"));
}

TEST_CASE("Import: killasgroup without stopasgroup -> kill_group with a warning", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nkillasgroup = true\n"
                         "[program:b]\ncommand = /bin/b\nstopasgroup = true\nkillasgroup = false\n"
                         "[program:c]\ncommand = /bin/c\nstopasgroup = true\n");
  CHECK(imported.Program("a").kill_group);
  CHECK(imported.Warned(3, "the stop signal goes to the whole group too"));
  CHECK(imported.Program("b").kill_group);
  CHECK(imported.Warned(7, "supervisord refuses it"));
  CHECK(imported.Program("c").kill_group);  // killasgroup follows stopasgroup
}

TEST_CASE("Import: one priority anywhere -> the others get supervisord's 999", "[ctl][import]") {
  auto imported = Import("[program:db]\ncommand = /bin/db\npriority = 5\n[program:web]\ncommand = /bin/web\n");
  CHECK(imported.Program("db").priority == 5);
  CHECK(imported.Program("web").priority == 999);
}

TEST_CASE("Import: %(here)s, %(program_name)s, %(ENV_X)s -> the path, the name, ${X}", "[ctl][import]") {
  auto imported = Import("[program:web]\ncommand = %(here)s/bin/%(program_name)s --port %(ENV_APP_PORT)s "
                         "--home=%(ENV_HOME)s/x --host %(host_node_name)s\n");
  const auto& p = imported.Program("web");
  CHECK(p.command == std::vector<std::string>{"/etc/supervisor/bin/web", "--port", "8080", "--home=/root/x",
                                              "--host", "host1"});
  CHECK(imported.result.toml.find("\"${APP_PORT}\"") != std::string::npos);  // read when supd starts
}

TEST_CASE("Import: %(ENV_X)s with X unset here -> ${X:-} and a warning", "[ctl][import]") {
  auto imported = Import("[program:web]\ncommand = /bin/web %(ENV_NOPE)s\n");
  CHECK(imported.result.toml.find("${NOPE:-}") != std::string::npos);
  CHECK(imported.Warned(2, "NOPE is not set here"));
}

TEST_CASE("Import: a literal $ in a command -> escaped, the program still gets it", "[ctl][import]") {
  auto imported = Import("[program:web]\ncommand = /bin/echo 'cost: $5' '${NOT_EXPANDED}' 'a$$b'\n");
  CHECK(Argv(imported, "web") == std::vector<std::string>{"/bin/echo", "cost: $5", "${NOT_EXPANDED}", "a$$b"});
}

TEST_CASE("Import: a command with shell syntax -> shell = true and a warning", "[ctl][import]") {
  auto imported = Import("[program:pipe]\ncommand = /bin/app --verbose 2>&1 | logger -t app\n"
                         "[program:var]\ncommand = /bin/app --home $HOME\n"
                         "[program:quoted]\ncommand = sh -c 'exec /bin/app | cat'\n");
  const auto& pipe = imported.Program("pipe");
  CHECK(pipe.shell);
  CHECK(pipe.command == std::vector<std::string>{"/bin/sh", "-c", "/bin/app --verbose 2>&1 | logger -t app"});
  CHECK(imported.Warned(2, "written with shell = true"));
  CHECK(Argv(imported, "var") == std::vector<std::string>{"/bin/sh", "-c", "/bin/app --home $HOME"});
  CHECK_FALSE(imported.Program("quoted").shell);
  CHECK(imported.Program("quoted").command == std::vector<std::string>{"sh", "-c", "exec /bin/app | cat"});
}

TEST_CASE("Import: ${VAR} in a shell command -> left for the shell, not sup", "[ctl][import]") {
  auto imported = Import("[program:s]\ncommand = /bin/app \"${HOME}\" > /tmp/out\n");
  CHECK(Argv(imported, "s") == std::vector<std::string>{"/bin/sh", "-c", "/bin/app \"${HOME}\" > /tmp/out"});
}

TEST_CASE("Import: numprocs with %(process_num)d -> instances and ${SUP_INSTANCE}", "[ctl][import]") {
  auto imported = Import(R"([program:worker]
command = /bin/worker --id %(process_num)d --port 90%(process_num)s
process_name = %(program_name)s_%(process_num)s
numprocs = 3
numprocs_start = 1
stdout_logfile = /var/log/worker-%(process_num)d.log
)");
  const auto& p = imported.Program("worker");
  CHECK(p.instances == 3);
  CHECK(Argv(imported, "worker", 0) == std::vector<std::string>{"/bin/worker", "--id", "1", "--port", "901"});
  CHECK(Argv(imported, "worker", 2) == std::vector<std::string>{"/bin/worker", "--id", "3", "--port", "903"});
  CHECK(sup::conf::ForInstance(p, 1, imported.config.supervisor).stdout_file == "/var/log/worker-2.log");
  CHECK(imported.Warned(3, "worker:0 … worker:2"));
}

TEST_CASE("Import: a zero-padded %(process_num)02d -> one program per process and a group", "[ctl][import]") {
  auto imported = Import(R"([program:web]
command = /bin/web --port 80%(process_num)02d
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
)");
  CHECK(Argv(imported, "web_00") == std::vector<std::string>{"/bin/web", "--port", "8000"});
  CHECK(Argv(imported, "web_01") == std::vector<std::string>{"/bin/web", "--port", "8001"});
  const auto* group = imported.config.FindGroup("web");
  REQUIRE(group != nullptr);
  CHECK(group->programs == std::vector<std::string>{"web_00", "web_01"});
  CHECK(imported.Warned(4, "written as 2 programs (web_00 … web_01) and [group.web]"));
}

TEST_CASE("Import: process_num in a key sup reads once -> one program per process", "[ctl][import]") {
  auto imported = Import("[program:w]\ncommand = /bin/w\nprocess_name = w%(process_num)d\nnumprocs = 2\n"
                         "priority = 1%(process_num)d\n");
  CHECK(imported.Program("w0").priority == 10);
  CHECK(imported.Program("w1").priority == 11);
}

TEST_CASE("Import: numprocs = 0 or no command -> the program is left out with a warning", "[ctl][import]") {
  auto imported = Import("[program:none]\ncommand = /bin/x\nnumprocs = 0\n[program:empty]\nautostart = true\n"
                         "[program:ok]\ncommand = /bin/ok\n");
  CHECK(imported.config.programs.size() == 1);
  CHECK(imported.Warned(3, "starts no process"));
  CHECK(imported.Warned(4, "has no command"));
}

TEST_CASE("Import: environment with reserved or odd names -> the reserved ones left out", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nenvironment = SUP_PROGRAM=x,NOTIFY_SOCKET=/y,OK=1\n");
  CHECK(imported.Program("a").environment == std::vector<std::pair<std::string, std::string>>{{"OK", "1"}});
  CHECK(imported.Warned(3, "SUP_PROGRAM: supd sets this variable itself"));
  CHECK(imported.Warned(3, "NOTIFY_SOCKET: supd sets this variable itself"));
}

TEST_CASE("Import: program names sup does not allow -> sanitized, reserved ones renamed", "[ctl][import]") {
  auto imported = Import("[program:my app]\ncommand = /bin/a\n[program:main]\ncommand = /bin/m\n"
                         "[program:all]\ncommand = /bin/b\n");
  CHECK(imported.config.FindProgram("my_app") != nullptr);
  CHECK(imported.config.FindProgram("main_2") != nullptr);
  CHECK(imported.config.FindProgram("all_2") != nullptr);
  CHECK(imported.Warned(1, "supervisord refuses a name"));
  CHECK(imported.Warned(3, "reserved by sup"));
}

TEST_CASE("Import: bad values -> warned with their line, the rest still converted", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstartsecs = soon\nstopsignal = NOPE\n"
                         "exitcodes = 0,300\numask = 999\nautostart = maybe\ncolour = blue\n");
  const auto& p = imported.Program("a");
  CHECK(p.start_seconds == 1s);
  CHECK(imported.Warned(3, "not an integer"));
  CHECK(imported.Warned(4, "not a signal"));
  CHECK(imported.Warned(5, "out of range"));
  CHECK(imported.Warned(6, "not an octal mode"));
  CHECK(imported.Warned(7, "not a boolean"));
  CHECK(imported.Warned(8, "colour: not a supervisord [program:x] key"));
}

TEST_CASE("Import: `user` when supd will not run as root -> commented out with a warning", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nuser = root\n[program:b]\ncommand = /bin/b\nuser = nobody\n",
                         Options(65534));
  CHECK(imported.Program("a").user.empty());
  CHECK(imported.result.toml.find("# user = \"root\"") != std::string::npos);
  CHECK(imported.Warned(3, "needs a root supd"));
  CHECK(imported.Program("b").user.empty());  // nobody is uid 65534: supd runs as that user already
  CHECK_FALSE(imported.Warned(6, "user"));
}

TEST_CASE("Import: `user` that does not exist here -> commented out with a warning", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nuser = no-such-user-here\n");
  CHECK(imported.Program("a").user.empty());
  CHECK(imported.Warned(3, "no user `no-such-user-here`"));
}

TEST_CASE("Import: one process with a padded %(process_num)02d -> its text, one program", "[ctl][import]") {
  auto imported = Import("[program:web]\ncommand = /bin/web --id %(process_num)02d\nnumprocs_start = 3\n"
                         "process_name = web_%(process_num)02d\n");
  CHECK(imported.Program("web").command == std::vector<std::string>{"/bin/web", "--id", "03"});
  CHECK(imported.config.groups.empty());
  CHECK(imported.Warned(4, "sup names the process web (supervisord: web_03)"));
}
