// ${VAR} expansion at load time and per-instance expansion (ForInstance).
#include <catch2/catch.hpp>

#include "conf_test_util.h"
#include "sup/conf/expand.h"

using namespace sup::conf;
using sup::conf::test::LoadOk;
using sup::conf::test::OnlyError;
using Argv = std::vector<std::string>;

TEST_CASE("Expansion: ${VAR}, ${VAR:-default}, $$ and a lone $ -> expanded at load", "[conf][expand]") {
  const Config c = LoadOk(R"(
[supervisor]
socket = "${HOME}/s.sock"
status_shm = "/${NOPE:-sup}"
http = "${HOST:-127.0.0.1}:${PORT}"
logs_dir = "/logs/$$x/$y/${EMPTY:-empty}/${EMPTY}"
)");
  CHECK(c.supervisor.socket == "/home/u/s.sock");
  CHECK(c.supervisor.status_shm == "/sup");
  CHECK(c.supervisor.http == "127.0.0.1:8080");
  CHECK(c.supervisor.logs_dir == "/logs/$x/$y/empty/");
}

TEST_CASE("Expansion: nested default -> the inner variable", "[conf][expand]") {
  CHECK(LoadOk("[supervisor]\nsocket = \"${NOPE:-${HOME}/d}/s\"\n").supervisor.socket == "/home/u/d/s");
}

TEST_CASE("Expansion: unset ${VAR} without a default -> load-time error", "[conf][expand]") {
  const ConfigError e = OnlyError("[supervisor]\nsocket = \"${NOPE}/s\"\n");
  CHECK(e.pos.line == 2);
  CHECK(e.pos.column == 10);
  CHECK(e.message == "unset variable `${NOPE}` (give a default with `${NOPE:-default}`) in `socket` of [supervisor]");
}

TEST_CASE("Expansion: malformed references -> errors", "[conf][expand]") {
  CHECK(OnlyError("[supervisor]\nsocket = \"${HOME\"\n").message ==
        "unterminated `${` (write `$$` for a literal `$`) in `socket` of [supervisor]");
  CHECK(OnlyError("[supervisor]\nsocket = \"${}\"\n").message ==
        "bad variable reference `${}`: expected ${VAR} or ${VAR:-default} in `socket` of [supervisor]");
  CHECK(OnlyError("[supervisor]\nsocket = \"${HOME-x}\"\n").message ==
        "bad variable reference `${HOME-x}`: expected ${VAR} or ${VAR:-default} in `socket` of [supervisor]");
}

TEST_CASE("Expansion: per-instance names outside per-instance keys -> error", "[conf][expand]") {
  CHECK(OnlyError("[supervisor]\nsocket = \"/run/${SUP_INSTANCE}.sock\"\n").message ==
        "`${SUP_INSTANCE}` is only expanded per instance: in command, directory, environment values, log "
        "files and health checks in `socket` of [supervisor]");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\nuser = \"${SUP_PROGRAM}\"\n").message.starts_with(
      "`${SUP_PROGRAM}` is only expanded per instance"));
}

TEST_CASE("Expansion: malformed per-instance reference -> error", "[conf][expand]") {
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a ${SUP_INSTANCE-1}\"\n").message ==
        "bad per-instance variable `${SUP_INSTANCE-1}`: expected ${SUP_PROGRAM}, ${SUP_INSTANCE} or "
        "${SUP_INSTANCE+N} in `command` of [program.a]");
  CHECK(OnlyError("[program.a]\ncommand = [\"/bin/a\", \"${SUP_PROGRAM+1}\"]\n").message.starts_with(
      "bad per-instance variable `${SUP_PROGRAM+1}`"));
}

TEST_CASE("ForInstance: per-instance names in every per-instance key -> expanded for that index",
          "[conf][expand]") {
  const Config c = LoadOk(R"(
[supervisor]
logs_dir = "/logs"
[program.web]
command = "/bin/web --port ${SUP_INSTANCE+8000} --name ${SUP_PROGRAM}-${SUP_INSTANCE} --cost $$5"
directory = "/srv/${SUP_PROGRAM}/${SUP_INSTANCE}"
instances = 3
environment = { SLOT = "${SUP_INSTANCE}", RAW = "${DOLLAR}", HOME_DIR = "${HOME}" }
stdout = { file = "${SUP_PROGRAM}-${SUP_INSTANCE}.log" }
stderr = { file = "/abs/err-${SUP_INSTANCE}.log" }
health = { http = "http://127.0.0.1:${SUP_INSTANCE+8000}/" }
)");
  const ProgramSpec& p = c.programs[0];
  const InstanceSpec i = ForInstance(p, 2, c.supervisor);
  CHECK(i.name == "web:2");
  CHECK(i.index == 2);
  CHECK(i.argv == Argv{"/bin/web", "--port", "8002", "--name", "web-2", "--cost", "$5"});
  CHECK(i.directory == "/srv/web/2");
  const std::vector<std::pair<std::string, std::string>> env{{"SLOT", "2"}, {"RAW", "a$b"}, {"HOME_DIR", "/home/u"}};
  CHECK(i.environment == env);
  CHECK(i.stdout_file == "/logs/web-2.log");
  CHECK(i.stderr_file == "/abs/err-2.log");
  CHECK(i.health_http == "http://127.0.0.1:8002/");
  CHECK(i.health_tcp.empty());
  CHECK(i.health_exec.empty());
  CHECK(ForInstance(p, 0, c.supervisor).argv[2] == "8000");
}

TEST_CASE("ForInstance: an environment value holding $ or ${...} stays literal", "[conf][expand]") {
  const Environment env{{"TRICKY", "${SUP_INSTANCE}$$"}};
  const LoadResult r = LoadString("[program.a]\ncommand = [\"/bin/a\", \"${TRICKY}\"]\n", "/x.toml", env, 1000);
  REQUIRE(r.config);
  CHECK(ForInstance(r.config->programs[0], 4, r.config->supervisor).argv[1] == "${SUP_INSTANCE}$$");
}

TEST_CASE("ForInstance: a single instance -> named after the program, SUP_INSTANCE is 0", "[conf][expand]") {
  const Config c = LoadOk("[program.one]\ncommand = \"/bin/one ${SUP_INSTANCE}\"\nhealth = { exec = \"/bin/check ${SUP_PROGRAM}\" }\n");
  const InstanceSpec i = ForInstance(c.programs[0], 0, c.supervisor);
  CHECK(i.name == "one");
  CHECK(i.argv == Argv{"/bin/one", "0"});
  CHECK(i.health_exec == Argv{"/bin/check", "one"});
  CHECK(i.stdout_file.empty());
  CHECK(InstanceName(c.programs[0], 0) == "one");
}

TEST_CASE("ExpandForInstance: text without placeholders -> unchanged except $$", "[conf][expand]") {
  CHECK(ExpandForInstance("plain $x ${Y} $$ $", "p", 1) == "plain $x ${Y} $ $");
}

TEST_CASE("ForInstance: the command-line program (`-- CMD`) -> argv byte for byte, never expanded",
          "[conf][expand]") {
  ProgramSpec p;
  p.name = "main";
  p.command = {"/bin/sh", "-c", "kill -9 $$", "${SUP_PROGRAM}", "${SUP_INSTANCE}", "$"};
  p.from_command_line = true;
  CHECK(ForInstance(p, 0, SupervisorSpec{}).argv == p.command);
  p.from_command_line = false;  // the same strings from a config are expanded
  CHECK(ForInstance(p, 0, SupervisorSpec{}).argv == Argv{"/bin/sh", "-c", "kill -9 $", "main", "0", "$"});
}
