// One test per kind of config error: the message text and its line:col.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "conf_test_util.h"

using namespace sup::conf;
using sup::conf::test::Errors;
using sup::conf::test::Load;
using sup::conf::test::OnlyError;

namespace {

std::string At(const ConfigError& e) { return std::to_string(e.pos.line) + ":" + std::to_string(e.pos.column); }

}  // namespace

TEST_CASE("Loader: TOML syntax error -> its position from the parser", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.a]\ncommand = [\"/bin/a\"\n");
  CHECK(e.pos.file == "/etc/sup/sup.toml");
  CHECK(e.pos.line >= 2);
  CHECK(e.message.starts_with("syntax error: "));
}

TEST_CASE("Loader: misspelt key -> unknown key with the closest valid key", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.web]\ncommand = \"/bin/web\"\nrestat = \"always\"\n");
  CHECK(At(e) == "3:1");
  CHECK(e.message == "unknown key `restat` in [program.web] \u2014 did you mean `restart`?");
  CHECK(e.ToString() == "/etc/sup/sup.toml:3:1: unknown key `restat` in [program.web] \u2014 did you mean `restart`?");
}

TEST_CASE("Loader: unknown key far from any valid one -> no hint", "[conf][errors]") {
  const ConfigError e = OnlyError("[supervisor]\nfrobnicate = 1\n");
  CHECK(e.message == "unknown key `frobnicate` in [supervisor]");
}

TEST_CASE("Loader: unknown keys in sub-tables and at the top level -> reported with their table",
          "[conf][errors]") {
  const LoadResult r = Load(R"(
programs = 1
[program.a]
command = "/bin/a"
backoff = { inital = "1s" }
[program.a.stdout]
fiel = "a.log"
)");
  INFO(Errors(r));
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].message == "unknown key `programs` in the top level \u2014 did you mean `program`?");
  CHECK(r.errors[1].message == "unknown key `inital` in `backoff` of [program.a] \u2014 did you mean `initial`?");
  CHECK(At(r.errors[1]) == "5:13");
  CHECK(r.errors[2].message == "unknown key `fiel` in [program.a.stdout] \u2014 did you mean `file`?");
}

TEST_CASE("Loader: wrong value type -> expected and actual type", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.a]\ncommand = \"/bin/a\"\ninstances = \"2\"\n");
  CHECK(At(e) == "3:13");
  CHECK(e.message == "`instances` in [program.a] must be an integer, not a string");
  CHECK(OnlyError("[program.a]\ncommand = 5\n").message ==
        "`command` in [program.a] must be an array of strings or a string, not an integer");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nautostart = \"yes\"\n").message ==
        "`autostart` in [program.a] must be true or false, not a string");
}

TEST_CASE("Loader: bad duration and bad size -> the value and what was expected", "[conf][errors]") {
  const ConfigError d = OnlyError("[program.a]\ncommand = \"/bin/a\"\nstop_timeout = \"10x\"\n");
  CHECK(At(d) == "3:16");
  CHECK(d.message == "bad duration \"10x\" (expected e.g. \"250ms\", \"10s\", \"5m\" or integer seconds) "
                     "for `stop_timeout` in [program.a]");
  const ConfigError s = OnlyError("[program.a]\ncommand = \"/bin/a\"\n[program.a.stdout]\nmax_size = \"5XB\"\n");
  CHECK(At(s) == "4:12");
  CHECK(s.message == "bad size \"5XB\" (expected e.g. \"64KiB\", \"50MB\" or integer bytes) for `max_size` in "
                     "[program.a.stdout]");
}

TEST_CASE("Loader: a ring above 64MiB an instance -> error at the ring key, both streams counted", "[conf][errors]") {
  const ConfigError big = OnlyError("[program.big]\ncommand = \"/bin/a\"\n[program.big.stdout]\nring = \"1000GiB\"\n");
  CHECK(At(big) == "4:8");
  CHECK(big.message == "`ring` in [program.big.stdout] is too large: an instance's ring (stdout.ring + "
                       "stderr.ring, here 1073741824000 + 65536 bytes) may hold at most 64MiB (67108864 bytes)");
  // Each stream within the bound, their sum above it: reported at the larger one.
  const ConfigError sum = OnlyError("[program.s]\ncommand = \"/bin/a\"\nstdout = { ring = \"2MiB\" }\n"
                                    "stderr = { ring = \"63MiB\" }\n");
  CHECK(At(sum) == "4:19");
  CHECK(sum.message.starts_with("`ring` in [program.s.stderr] is too large: an instance's ring (stdout.ring + "
                                "stderr.ring, here 2097152 + 66060288 bytes)"));
  // Sizes near 2^64 do not wrap around into a small sum.
  CHECK(OnlyError("[program.w]\ncommand = \"/bin/a\"\nstdout = { ring = 9223372036854775807 }\n"
                  "stderr = { ring = 9223372036854775807 }\n").message.starts_with("`ring` in [program.w.stdout] is too large"));
  // At the bound exactly: valid (the default stderr.ring, 64KiB, counts).
  const LoadResult ok = Load("[program.ok]\ncommand = \"/bin/a\"\nstdout = { ring = \"63MiB\" }\n"
                             "stderr = { ring = \"1MiB\" }\n[program.ok2]\ncommand = \"/bin/a\"\n"
                             "stdout = { ring = 67043328 }\n");
  INFO(Errors(ok));
  CHECK(ok.errors.empty());
}

TEST_CASE("Loader: bad octal mode -> error with an example", "[conf][errors]") {
  const ConfigError e = OnlyError("[supervisor]\nsocket_mode = \"0698\"\n");
  CHECK(At(e) == "2:15");
  CHECK(e.message == "bad mode \"0698\" (expected an octal string like \"0640\") for `socket_mode` in [supervisor]");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\numask = \"1777\"\n").message ==
        "bad mode \"1777\" (expected an octal string like \"022\") for `umask` in [program.a]");
}

TEST_CASE("Loader: invalid signal name -> error with the closest signal", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nstop_signal = \"TREM\"\n");
  CHECK(At(e) == "3:15");
  CHECK(e.message == "invalid signal \"TREM\" (did you mean \"TERM\"?) for `stop_signal` in [program.a]");
}

TEST_CASE("Loader: bad enum value -> every valid value listed", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nrestart = \"sometimes\"\n");
  CHECK(At(e) == "3:11");
  CHECK(e.message == "bad value \"sometimes\" for `restart` in [program.a]: expected one of \"always\", "
                     "\"on-failure\", \"never\"");
  CHECK(OnlyError("[program.db]\ncommand = \"/bin/db\"\n[program.a]\ncommand = \"/bin/a\"\n"
                  "depends_on = { db = \"healthy\" }\n").message ==
        "bad value \"healthy\" for `db` in `depends_on` of [program.a]: expected one of \"started\", "
        "\"ready\", \"completed\"");
}

TEST_CASE("Loader: duplicate program across files and program/group name clash -> errors", "[conf][errors]") {
  sup::conf::test::TempDir dir;
  const std::string main = dir.Write("sup.toml", R"([supervisor]
include = ["conf.d/*.toml"]
[program.web]
command = "/bin/web"
[group.web]
programs = ["web"]
)");
  const std::string extra = dir.Write("conf.d/web.toml", "\n[program.web]\ncommand = \"/bin/web2\"\n");
  const LoadResult r = LoadFile(main, sup::conf::test::TestEnv(), 1000);
  INFO(Errors(r));
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].pos.file == extra);
  CHECK(At(r.errors[0]) == "2:1");
  CHECK(r.errors[0].message == "duplicate program `web` (first defined at " + main + ":3:1)");
  CHECK(r.errors[1].pos.file == main);
  CHECK(r.errors[1].message == "[group.web] has the name of a program (defined at " + main +
                                   ":3:1): programs and groups share one namespace");
}

TEST_CASE("Loader: bad and reserved program names -> errors", "[conf][errors]") {
  CHECK(OnlyError("[program.all]\ncommand = \"/bin/a\"\n").message ==
        "the program name \"all\" is reserved (\"all\" and \"main\" are)");
  CHECK(OnlyError("[program.main]\ncommand = \"/bin/a\"\n").message ==
        "the program name \"main\" is reserved (\"all\" and \"main\" are)");
  CHECK(OnlyError("[program.\"web:1\"]\ncommand = \"/bin/a\"\n").message ==
        "bad program name \"web:1\": use 1 to 64 of A-Z a-z 0-9 _ . - (not starting with . or -)");
  CHECK(OnlyError("[program.-x]\ncommand = \"/bin/a\"\n").message.starts_with("bad program name \"-x\""));
  CHECK(OnlyError("[program." + std::string(65, 'a') + "]\ncommand = \"/bin/a\"\n").message.starts_with("bad program name"));
  CHECK(Load("[program." + std::string(64, 'a') + "]\ncommand = \"/bin/a\"\n").errors.empty());
}

TEST_CASE("Loader: depends_on naming no program -> error with a hint", "[conf][errors]") {
  const ConfigError e = OnlyError(R"(
[program.db]
command = "/bin/db"
[program.web]
command = "/bin/web"
depends_on = ["dbb"]
)");
  CHECK(At(e) == "6:15");
  CHECK(e.message == "`depends_on` of [program.web] names no program `dbb` \u2014 did you mean `db`?");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\ndepends_on = [\"g\"]\n[group.g]\nprograms = [\"a\"]\n").message ==
        "`depends_on` of [program.a] names no program `g` (`g` is a group; list its programs instead)");
}

TEST_CASE("Loader: dependency cycle -> the cycle printed once", "[conf][errors]") {
  const ConfigError e = OnlyError(R"(
[program.a]
command = "/bin/a"
depends_on = ["b"]
[program.b]
command = "/bin/b"
depends_on = { c = "started" }
[program.c]
command = "/bin/c"
depends_on = ["a"]
)");
  CHECK(At(e) == "4:15");
  CHECK(e.message == "dependency cycle: a -> b -> c -> a");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\ndepends_on = [\"a\"]\n").message == "dependency cycle: a -> a");
}

TEST_CASE("Loader: two separate cycles -> both reported", "[conf][errors]") {
  const LoadResult r = Load(R"(
[program.a]
command = "/bin/a"
depends_on = ["b"]
[program.b]
command = "/bin/b"
depends_on = ["a"]
[program.x]
command = "/bin/x"
depends_on = ["y"]
[program.y]
command = "/bin/y"
depends_on = ["x", "a"]
)");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].message == "dependency cycle: a -> b -> a");
  CHECK(r.errors[1].message == "dependency cycle: x -> y -> x");
}

TEST_CASE("Loader: completed condition on a restart = always program -> error", "[conf][errors]") {
  const ConfigError e = OnlyError(R"(
[program.db]
command = "/bin/db"
restart = "always"
[program.web]
command = "/bin/web"
depends_on = { db = "completed" }
)");
  CHECK(At(e) == "7:16");
  CHECK(e.message == "[program.web] waits for `db` to be completed, but it has restart = \"always\" and never completes");
}

TEST_CASE("Loader: group naming an unknown program -> error", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.web]\ncommand = \"/bin/web\"\n[group.g]\nprograms = [\"web\", \"wbe\"]\n");
  CHECK(At(e) == "4:12");
  CHECK(e.message == "[group.g] names no program `wbe` \u2014 did you mean `web`?");
}

TEST_CASE("Loader: user and group that do not exist -> errors for a root supd", "[conf][errors]") {
  const LoadResult r = Load(R"(
[program.a]
command = "/bin/a"
user = "no-such-user-sup"
group = "no-such-group-sup"
)", 0);
  REQUIRE(r.errors.size() == 2);
  CHECK(At(r.errors[0]) == "4:8");
  CHECK(r.errors[0].message == "no such user \"no-such-user-sup\" (`user` in [program.a])");
  CHECK(r.errors[1].message == "no such group \"no-such-group-sup\" (`group` in [program.a])");
}

TEST_CASE("Loader: user set while supd is not root -> needs a root supd", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nuser = \"root\"\n", 1000);
  CHECK(e.message == "`user` in [program.a] needs a root supd (this supd runs as uid 1000)");
  CHECK(Load("[program.a]\ncommand = \"/bin/a\"\nuser = \"root\"\n", 0).errors.empty());
}

TEST_CASE("Loader: instances < 1 and start_retries < 0 -> range errors", "[conf][errors]") {
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\ninstances = 0\n").message ==
        "`instances` in [program.a] must be between 1 and 100000, not 0");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nstart_retries = -1\n").message ==
        "`start_retries` in [program.a] must be at least 0, not -1");
}

TEST_CASE("Loader: backoff factor below 1 and jitter outside [0,1] -> errors", "[conf][errors]") {
  const LoadResult r = Load("[program.a]\ncommand = \"/bin/a\"\nbackoff = { factor = 0.5, jitter = 1.5 }\n");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].message == "`factor` in `backoff` of [program.a] must be at least 1");
  CHECK(r.errors[1].message == "`jitter` in `backoff` of [program.a] must be between 0 and 1");
  CHECK(At(r.errors[1]) == "3:36");
}

TEST_CASE("Loader: environment naming a variable supd sets -> error", "[conf][errors]") {
  for (const char* name : {"SUP_PROGRAM", "SUP_INSTANCE", "SUP_SOCKET", "NOTIFY_SOCKET", "SUP_COUNTERS_FD",
                           "WATCHDOG_USEC", "WATCHDOG_PID"}) {
    const ConfigError e = OnlyError(std::string("[program.a]\ncommand = \"/bin/a\"\n[program.a.environment]\n") +
                                    name + " = \"x\"\n");
    CHECK(At(e) == "4:1");
    CHECK(e.message == std::string("`environment` of [program.a] may not set ") + name +
                           ": supd sets it for every child");
  }
}

TEST_CASE("Loader: two programs naming one log file -> error, while instances of one program may share",
          "[conf][errors]") {
  const ConfigError e = OnlyError(R"(
[program.a]
command = "/bin/a"
instances = 2
stdout = { file = "shared.log" }
[program.b]
command = "/bin/b"
stderr = { file = "/home/u/.local/state/sup/log/shared.log" }
)");
  CHECK(At(e) == "8:19");
  CHECK(e.message == "`stderr.file` of [program.b] names the same log file as [program.a] "
                     "(/home/u/.local/state/sup/log/shared.log)");
  const ConfigError per_instance = OnlyError(R"(
[program.a]
command = "/bin/a"
instances = 2
stdout = { file = "a-${SUP_INSTANCE}.log" }
[program.b]
command = "/bin/b"
stdout = { file = "a-1.log" }
)");
  CHECK(per_instance.message == "`stdout.file` of [program.b] names the same log file as [program.a] "
                                "(/home/u/.local/state/sup/log/a-1.log)");
}

TEST_CASE("Loader: missing command -> error at the program's header", "[conf][errors]") {
  const ConfigError e = OnlyError("\n[program.a]\nautostart = false\n");
  CHECK(At(e) == "2:1");
  CHECK(e.message == "missing `command` in [program.a] (it is required)");
}

TEST_CASE("Loader: health with no kind or with two kinds -> error", "[conf][errors]") {
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\n[program.a.health]\ninterval = \"1s\"\n").message ==
        "[program.a.health] needs one of `exec`, `tcp` or `http`");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nhealth = { tcp = \"h:1\", http = \"http://h/\" }\n").message ==
        "[program.a.health] may have only one of `exec`, `tcp` and `http`");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nready = \"health\"\n").message ==
        "ready = \"health\" in [program.a] needs a [program.a.health] check");
}

TEST_CASE("Loader: merge in stdout -> only valid in stderr", "[conf][errors]") {
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nstdout = { merge = true }\n").message ==
        "`merge` is only valid in [program.a.stderr] (it sends stderr into stdout's sinks)");
}

TEST_CASE("Loader: [supervisor] in an included file -> error naming that file", "[conf][errors]") {
  sup::conf::test::TempDir dir;
  const std::string main = dir.Write("sup.toml", "[supervisor]\ninclude = [\"extra.toml\"]\n");
  const std::string extra = dir.Write("extra.toml", "[supervisor]\nhttp = \"127.0.0.1:1\"\n");
  const LoadResult r = LoadFile(main, sup::conf::test::TestEnv(), 1000);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].pos.file == extra);
  CHECK(r.errors[0].message == "[supervisor] is only allowed in the main config file; an included file "
                               "may hold only [program.*] and [group.*]");
}

TEST_CASE("Loader: many problems in one file -> every one reported in one load", "[conf][errors]") {
  const LoadResult r = Load(R"(
[supervisor]
shutdown_timeout = "forever"
[program.a]
command = "/bin/a | grep x"
restat = "always"
[program.b]
command = "/bin/b"
instances = 0
depends_on = ["nope"]
stop_signal = "NOPE"
[group.g]
programs = ["zzz"]
)");
  INFO(Errors(r));
  CHECK_FALSE(r.config);
  CHECK(r.errors.size() == 7);
}

TEST_CASE("Loader: duplicate group across files -> error naming the first", "[conf][errors]") {
  sup::conf::test::TempDir dir;
  const std::string main = dir.Write("sup.toml", "[supervisor]\ninclude = [\"g.toml\"]\n[group.g]\nprograms = []\n");
  dir.Write("g.toml", "[group.g]\nprograms = []\n");
  const LoadResult r = LoadFile(main, sup::conf::test::TestEnv(), 1000);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message == "duplicate group `g` (first defined at " + main + ":3:1)");
}

TEST_CASE("Loader: stdout and stderr of one program naming one file -> error", "[conf][errors]") {
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nstdout = { file = \"a.log\" }\nstderr = { file = \"a.log\" }\n")
            .message == "`stderr.file` of [program.a] names the same log file as `stdout.file` of the same "
                        "program (/home/u/.local/state/sup/log/a.log)");
}

TEST_CASE("Loader: malformed health targets and supervisor addresses -> errors", "[conf][errors]") {
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nhealth = { tcp = \"8080\" }\n").message ==
        "`tcp` in [program.a.health] must be \"host:port\", not \"8080\"");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nhealth = { http = \"ftp://x/\" }\n").message ==
        "`http` in [program.a.health] must be an http:// URL, not \"ftp://x/\"");
  CHECK(OnlyError("[supervisor]\nhttp = \"localhost\"\n").message ==
        "`http` in [supervisor] must be \"host:port\" (e.g. \"127.0.0.1:9100\"), not \"localhost\"");
  CHECK(OnlyError("[supervisor]\nstatus_shm = \"sup/x\"\n").message.starts_with(
      "`status_shm` in [supervisor] must be a POSIX shm name"));
}

TEST_CASE("Loader: allow_users and socket_group naming nobody -> errors", "[conf][errors]") {
  const LoadResult r = Load("[supervisor]\nallow_users = [\"no-such-user-sup\"]\nsocket_group = \"no-such-group-sup\"\n");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].message == "no such group \"no-such-group-sup\" (`socket_group` in [supervisor])");
  CHECK(At(r.errors[0]) == "3:16");
  CHECK(r.errors[1].message == "no such user \"no-such-user-sup\" (`allow_users` in [supervisor])");
  CHECK(At(r.errors[1]) == "2:15");
}

TEST_CASE("Loader: exit codes outside 0..255 -> error at the element", "[conf][errors]") {
  const ConfigError e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nexit_codes = [0, 256]\n");
  CHECK(e.pos.column == 18);
  CHECK(e.message == "`exit_codes` in [program.a] holds 256: values must be between 0 and 255");
}

TEST_CASE("Validate: a log file that is a FIFO or a directory -> error naming the path, its type and the hint",
          "[conf][errors]") {
  char tmpl[] = "/tmp/sup-conf-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string fifo = dir + "/out.log";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const ConfigError e = OnlyError("[program.web]\ncommand = \"/bin/web\"\nstdout = { file = \"" + fifo + "\" }\n");
  CHECK(At(e) == "3:19");
  CHECK(e.message == "`stdout.file` of [program.web]: " + fifo +
                         " is a FIFO, not a regular file (file = \"\" discards output)");
  const ConfigError d = OnlyError("[program.web]\ncommand = \"/bin/web\"\n[program.web.stderr]\nfile = \"" + dir + "\"\n");
  CHECK(d.message == "`stderr.file` of [program.web]: " + dir +
                         " is a directory, not a regular file (file = \"\" discards output)");
  ::unlink(fifo.c_str());
  CHECK(Load("[program.web]\ncommand = \"/bin/web\"\nstdout = { file = \"" + fifo + "\" }\n").errors.empty());
  ::rmdir(dir.c_str());
}
