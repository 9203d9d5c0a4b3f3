// `supctl import supervisord` beyond one program: log files, groups, [supervisord],
// [unix_http_server], the sections sup has no equivalent for, [include] and the output's text.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ctl/import/toml_writer.h"
#include "import_helpers.h"
#include "sup/conf/expand.h"

using namespace sup::ctl::import;
using namespace sup::ctl::import::testing;

namespace {

// A temp dir removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sup-import-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file) << text;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("Import: log files with maxbytes and backups -> files rotated the same way", "[ctl][import]") {
  auto imported = Import(R"([program:web]
command = /bin/web
stdout_logfile = /var/log/web.out
stdout_logfile_maxbytes = 1MB
stdout_logfile_backups = 3
stderr_logfile = /var/log/web.err
)");
  const auto& p = imported.Program("web");
  CHECK(p.stdout_log.file == "/var/log/web.out");
  CHECK(p.stdout_log.max_size == 1024 * 1024);  // supervisord's MB is 2^20
  CHECK(p.stdout_log.backups == 3);
  CHECK_FALSE(p.stdout_log.forward);
  CHECK(p.stderr_log.file == "/var/log/web.err");
  CHECK(p.stderr_log.max_size == 50 * 1024 * 1024);  // supervisord's defaults
  CHECK(p.stderr_log.backups == 10);
}

TEST_CASE("Import: redirect_stderr -> stderr merged into stdout", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nredirect_stderr = true\nstdout_logfile = /var/log/a.log\n"
                         "stderr_logfile = /var/log/a.err\n");
  const auto& p = imported.Program("a");
  CHECK(p.stderr_log.merge);
  CHECK(p.stderr_log.file.empty());
  CHECK(p.stdout_log.file == "/var/log/a.log");
  CHECK(imported.Warned(5, "ignored because redirect_stderr = true"));
}

TEST_CASE("Import: /dev/stdout as a log file -> forwarded to supd's stdout", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstdout_logfile = /dev/stdout\nstdout_logfile_maxbytes = 0\n"
                         "stderr_logfile = /dev/stdout\n");
  const auto& p = imported.Program("a");
  CHECK(p.stdout_log.forward);
  CHECK(p.stdout_log.file.empty());
  CHECK(p.stderr_log.forward);
  CHECK(imported.Warned(5, "sup forwards a program's stderr to supd's stderr"));
}

TEST_CASE("Import: NONE and syslog -> no file, AUTO -> a file in logs_dir, a warning for syslog", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstdout_logfile = NONE\nstderr_logfile = AUTO\n"
                         "stdout_logfile_maxbytes = 10MB\n[program:b]\ncommand = /bin/b\nstdout_logfile = syslog\n"
                         "stderr_syslog = true\n");
  CHECK(imported.Program("a").stdout_log.file.empty());
  CHECK(imported.Program("a").stderr_log.file == "a-stderr.log");
  CHECK(imported.Warned(5, "no log file to rotate"));
  CHECK(imported.Program("b").stdout_log.file.empty());
  CHECK(imported.Warned(8, "supd writes no syslog"));
  CHECK(imported.Warned(9, "supd writes no syslog"));
}

TEST_CASE("Import: two programs writing one file -> the second loses it, with a warning", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstdout_logfile = /var/log/shared.log\n"
                         "[program:b]\ncommand = /bin/b\nstdout_logfile = /var/log/shared.log\n"
                         "[program:c]\ncommand = /bin/c\nstdout_logfile = /var/log/c.log\nstderr_logfile = /var/log/c.log\n");
  CHECK(imported.Program("a").stdout_log.file == "/var/log/shared.log");
  CHECK(imported.Program("b").stdout_log.file.empty());
  CHECK(imported.Warned(6, "writes the same file as a"));
  CHECK(imported.Program("c").stderr_log.merge);  // both streams into one file: merge
}

TEST_CASE("Import: capture mode, events and serverurl -> warned, not carried over", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstdout_capture_maxbytes = 1MB\nstdout_events_enabled = true\n"
                         "stderr_capture_maxbytes = 0\nserverurl = AUTO\n");
  CHECK(imported.Warned(3, "no capture mode"));
  CHECK(imported.Warned(4, "no output events"));
  CHECK_FALSE(imported.Warned(5, "capture"));  // 0 is supervisord's default: nothing is lost
  CHECK(imported.Warned(6, "$SUP_SOCKET"));
}

TEST_CASE("Import: [group:x] -> [group.x], its priority on programs that have none", "[ctl][import]") {
  auto imported = Import("[group:backend]\nprograms = api, worker ,ghost\npriority = 20\n"
                         "[program:api]\ncommand = /bin/api\n[program:worker]\ncommand = /bin/worker\npriority = 5\n"
                         "[program:other]\ncommand = /bin/other\n");
  const auto* g = imported.config.FindGroup("backend");
  REQUIRE(g != nullptr);
  CHECK(g->programs == std::vector<std::string>{"api", "worker"});
  CHECK(imported.Warned(2, "names no [program:ghost]"));
  CHECK(imported.Program("api").priority == 20);
  CHECK(imported.Program("worker").priority == 5);
  CHECK(imported.Program("other").priority == 999);
  CHECK(imported.Warned(3, "sup groups have no priority"));
}

TEST_CASE("Import: %(group_name)s in a grouped program -> the group's name", "[ctl][import]") {
  auto imported = Import("[group:g]\nprograms = a\n[program:a]\ncommand = /bin/a --group %(group_name)s\n");
  CHECK(imported.Program("a").command == std::vector<std::string>{"/bin/a", "--group", "g"});
}

TEST_CASE("Import: a group named like a program -> renamed, programs and groups share names", "[ctl][import]") {
  auto imported = Import("[group:web]\nprograms = web\n[program:web]\ncommand = /bin/web\n");
  CHECK(imported.config.FindGroup("web_2") != nullptr);
  CHECK(imported.Warned(1, "the name web is taken; written web_2"));
}

TEST_CASE("Import: [supervisord] -> logs_dir, and what programs inherit", "[ctl][import]") {
  auto imported = Import(R"([supervisord]
childlogdir = /var/log/supervisor
environment = TZ=UTC,SHARED="from supervisord"
umask = 027
directory = /srv
user = nobody
nodaemon = true
logfile = /var/log/supervisord.log
minfds = 4096
[program:a]
command = /bin/a %(ENV_SHARED)s
environment = SHARED=mine
[program:b]
command = /bin/b
directory = /b
user = root
umask = 002
)");
  CHECK(imported.config.supervisor.logs_dir == "/var/log/supervisor");
  const auto& a = imported.Program("a");
  CHECK(a.environment == std::vector<std::pair<std::string, std::string>>{{"TZ", "UTC"}, {"SHARED", "mine"}});
  CHECK(a.command == std::vector<std::string>{"/bin/a", "mine"});  // ENV_ of the program's own environment
  CHECK(a.umask == std::optional<mode_t>(027));
  CHECK(a.directory == "/srv");
  CHECK(a.user == "nobody");
  const auto& b = imported.Program("b");
  CHECK(b.directory == "/b");
  CHECK(b.user == "root");
  CHECK(b.umask == std::optional<mode_t>(002));
  CHECK(imported.Warned(5, "programs without a directory of their own"));
  CHECK(imported.Warned(6, "programs without a user of their own"));
  CHECK_FALSE(imported.Warned(7, "daemonize"));  // nodaemon = true is how supd runs anyway
  CHECK(imported.Warned(8, "supd logs its own events to stderr"));
  CHECK(imported.Warned(9, "limits.nofile"));
}

TEST_CASE("Import: [unix_http_server] -> socket, socket_mode, socket_group", "[ctl][import]") {
  auto imported = Import("[unix_http_server]\nfile = %(here)s/supervisor.sock\nchmod = 0770\nchown = nobody:root\n"
                         "username = admin\npassword = secret\n");
  const auto& s = imported.config.supervisor;
  CHECK(s.socket == "/etc/supervisor/supervisor.sock");
  CHECK(s.socket_mode == 0770);
  CHECK(s.socket_group == "root");
  CHECK(imported.Warned(4, "only its group is carried over"));
  CHECK(imported.Warned(5, "not by password"));
  CHECK(imported.Warned(6, "not by password"));
}

TEST_CASE("Import: sections sup has no equivalent for -> each key warned with its line", "[ctl][import]") {
  auto imported = Import(R"([inet_http_server]
port = 127.0.0.1:9001
[supervisorctl]
serverurl = unix:///tmp/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[eventlistener:mem]
command = memmon -p app=200MB
events = TICK_60
[fcgi-program:php]
command = /usr/bin/php-cgi
[frobnicator]
x = 1
[program:a]
command = /bin/a
)");
  CHECK(imported.Warned(2, "no TCP control interface"));
  CHECK(imported.Warned(4, "supctl finds supd's socket"));
  CHECK(imported.Warned(6, "control protocol is built in"));
  CHECK(imported.Warned(7, "no event listener protocol"));
  CHECK(imported.Warned(10, "opens no sockets"));
  CHECK(imported.Warned(12, "not a supervisord section"));
  CHECK(imported.config.programs.size() == 1);
  for (const auto& w : imported.result.warnings) CHECK(w.file == "/etc/supervisor/supervisord.conf");
}

TEST_CASE("Import: [include] globs relative to the file -> included sections, later values win", "[ctl][import]") {
  TempDir dir;
  dir.Write("conf.d/b.conf", "[program:b]\ncommand = %(here)s/b\n[include]\nfiles = nested/*.conf\n");
  dir.Write("conf.d/a.conf", "[program:a]\ncommand = /bin/a-included\n");
  dir.Write("conf.d/.hidden.conf", "[program:hidden]\ncommand = /bin/h\n");
  const std::string main = dir.Write("supervisord.conf", "[program:a]\ncommand = /bin/a\npriority = 3\n"
                                                         "[include]\nfiles = conf.d/*.conf missing/*.conf\n");
  std::ifstream in(main);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto imported = Import(text, Options(), main);
  CHECK(imported.Program("a").command == std::vector<std::string>{"/bin/a-included"});
  CHECK(imported.Program("a").priority == 3);
  CHECK(imported.Program("b").command == std::vector<std::string>{dir.path() + "/conf.d/b"});
  CHECK(imported.config.FindProgram("hidden") == nullptr);
  CHECK(imported.Warned(5, "no file matches " + dir.path() + "/missing/*.conf"));
  bool nested = false;
  for (const auto& w : imported.result.warnings)
    nested = nested || (w.file == dir.path() + "/conf.d/b.conf" && w.line == 3);
  CHECK(nested);
}

TEST_CASE("Import: lines configparser rejects -> errors, no output", "[ctl][import]") {
  auto result = ImportSupervisordText("[program:a]\ncommand /bin/a\n", "/x/s.conf", Options());
  CHECK(result.toml.empty());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].find("/x/s.conf:2:") == 0);
  auto missing = ImportSupervisord("/nonexistent/supervisord.conf", Options());
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].find("cannot read /nonexistent/supervisord.conf") == 0);
}

TEST_CASE("Import: the output -> a header, then the warnings as comments", "[ctl][import]") {
  auto imported = Import("[supervisord]\npidfile = /run/s.pid\n[program:a]\ncommand = /bin/a\n");
  const std::string& toml = imported.result.toml;
  CHECK(toml.find("# sup.toml converted from /etc/supervisor/supervisord.conf") == 0);
  CHECK(toml.find("#   /etc/supervisor/supervisord.conf:2: pidfile: supd writes no pid file") != std::string::npos);
  CHECK(toml.find("# from [program:a]\n[program.a]\n") != std::string::npos);
}

TEST_CASE("TomlString: quotes, backslashes, control bytes, bad UTF-8 -> a valid TOML string", "[ctl][import]") {
  bool replaced = false;
  CHECK(TomlString("a\"b\\c\td\n\x01\x7f", &replaced) == "\"a\\\"b\\\\c\\td\\n\\u0001\\u007F\"");
  CHECK_FALSE(replaced);
  CHECK(TomlString("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(TomlString("bad\xff", &replaced) == "\"bad\\uFFFD\"");
  CHECK(replaced);
  CHECK(TomlKey("web-1_x") == "web-1_x");
  CHECK(TomlKey("a.b") == "\"a.b\"");
}

TEST_CASE("Import: odd bytes in names and values -> output that still loads", "[ctl][import]") {
  auto imported = Import("[program:t\xc3\xa9st]\ncommand = /bin/echo \"tab\there\" 'quote\"s' back\\\\slash \xff\n");
  const auto& p = imported.Program("t_st");
  CHECK(p.command[1] == "tab\there");
  CHECK(p.command[2] == "quote\"s");
  CHECK(p.command[3] == "back\\slash");
}

TEST_CASE("Import: ~/ and relative log paths -> ${HOME}/…, and a warning for the relative one", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nstdout_logfile = ~/logs/a.log\nstderr_logfile = a.err\n");
  const auto& p = imported.Program("a");
  CHECK(imported.result.toml.find("file = \"${HOME}/logs/a.log\"") != std::string::npos);
  CHECK(p.stdout_log.file == "/root/logs/a.log");  // HOME of supd's environment
  CHECK(p.stderr_log.file == "a.err");
  CHECK(imported.Warned(4, "a relative path: sup resolves it in logs_dir"));
}

TEST_CASE("Import: quoted environment values with $, spaces and %(here)s -> kept literally", "[ctl][import]") {
  auto imported = Import("[program:a]\ncommand = /bin/a\nenvironment = A=\"x y\",B='$HOME',C=%(here)s/d\n"
                         "[program:b]\ncommand = /bin/b\nenvironment = A=1,B\n");
  const auto spec = sup::conf::ForInstance(imported.Program("a"), 0, imported.config.supervisor);
  CHECK(spec.environment ==
        std::vector<std::pair<std::string, std::string>>{{"A", "x y"}, {"B", "$HOME"}, {"C", "/etc/supervisor/d"}});
  CHECK(imported.Program("b").environment.empty());
  CHECK(imported.Warned(6, "expected KEY=VALUE pairs"));
  CHECK_FALSE(imported.Warned(6, "is skipped"));
}
