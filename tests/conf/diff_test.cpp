// Diff(): the reload plan of SPEC §6.
#include <catch2/catch.hpp>

#include "conf_test_util.h"
#include "sup/conf/diff.h"

using namespace sup::conf;
using sup::conf::test::LoadOk;
using Names = std::vector<std::string>;

namespace {

constexpr const char* kBase = R"(
[program.web]
command = "/bin/web"
[program.db]
command = "/bin/db"
[program.worker]
command = "/bin/worker"
)";

}  // namespace

TEST_CASE("Diff: identical configs -> everything untouched", "[conf][diff]") {
  const ReloadPlan plan = Diff(LoadOk(kBase), LoadOk(kBase));
  CHECK(plan.untouched == Names{"web", "db", "worker"});
  CHECK(plan.added.empty());
  CHECK(plan.removed.empty());
  CHECK(plan.restarted.empty());
  CHECK(plan.updated.empty());
  CHECK(plan.not_applied.empty());
}

TEST_CASE("Diff: programs appear and disappear -> added and removed", "[conf][diff]") {
  const ReloadPlan plan = Diff(LoadOk(kBase), LoadOk("[program.db]\ncommand = \"/bin/db\"\n[program.new]\ncommand = \"/bin/new\"\n"));
  CHECK(plan.added == Names{"new"});
  CHECK(plan.removed == Names{"web", "worker"});
  CHECK(plan.untouched == Names{"db"});
}

TEST_CASE("Diff: a change to what the process is -> restarted with the changed keys", "[conf][diff]") {
  const ReloadPlan plan = Diff(LoadOk(kBase), LoadOk(R"(
[program.web]
command = "/bin/web --new"
stop_timeout = "3s"
[program.db]
command = "/bin/db"
environment = { A = "1" }
stderr = { merge = true }
[program.worker]
command = "/bin/worker"
limits = { nofile = 10 }
)"));
  REQUIRE(plan.restarted.size() == 3);
  CHECK(plan.restarted[0].name == "web");
  CHECK(plan.restarted[0].keys == Names{"command", "stop_timeout"});
  CHECK(plan.restarted[1].keys == Names{"environment", "stderr.merge"});
  CHECK(plan.restarted[2].keys == Names{"limits"});
  CHECK(plan.updated.empty());
}

TEST_CASE("Diff: in-place keys, instances included -> updated, same pid", "[conf][diff]") {
  const ReloadPlan plan = Diff(LoadOk(kBase), LoadOk(R"(
[program.web]
command = "/bin/web"
instances = 3
autostart = false
[program.db]
command = "/bin/db"
stdout = { file = "db.log" }
health = { tcp = "127.0.0.1:5432" }
backoff = { max = "1m" }
[program.worker]
command = "/bin/worker"
)"));
  REQUIRE(plan.updated.size() == 2);
  CHECK(plan.updated[0].name == "web");
  CHECK(plan.updated[0].keys == Names{"instances", "autostart"});
  CHECK(plan.updated[1].name == "db");
  CHECK(plan.updated[1].keys == Names{"backoff", "stdout.file", "health.tcp"});
  CHECK(plan.untouched == Names{"worker"});
  CHECK(plan.restarted.empty());
}

TEST_CASE("Diff: an expanded ${VAR} that resolves the same -> untouched", "[conf][diff]") {
  const ReloadPlan plan = Diff(LoadOk("[program.a]\ncommand = \"/bin/a ${PORT}\"\n"),
                               LoadOk("[program.a]\ncommand = \"/bin/a 8080\"\n"));
  CHECK(plan.untouched == Names{"a"});
}

TEST_CASE("Diff: supervisor socket, shm and http changes -> not_applied, the rest applies",
          "[conf][diff]") {
  const ReloadPlan plan = Diff(LoadOk("[supervisor]\nsocket = \"/a.sock\"\n"), LoadOk(R"(
[supervisor]
socket = "/b.sock"
socket_mode = "0660"
socket_group = "root"
status_shm = "/other"
shm_mode = "0600"
http = "127.0.0.1:9"
shutdown_timeout = "5s"
allow_users = ["root"]
logs_dir = "/elsewhere"
)"));
  CHECK(plan.not_applied == Names{"supervisor.socket", "supervisor.socket_mode", "supervisor.socket_group",
                                  "supervisor.status_shm", "supervisor.shm_mode", "supervisor.http"});
}

TEST_CASE("IsRestartKey: the restart-class keys of SPEC §6 and no others", "[conf][diff]") {
  for (const char* key : {"command", "shell", "directory", "user", "group", "umask", "environment", "clear_env",
                          "limits", "stderr.merge"})
    CHECK(IsRestartKey(key));
  for (const char* key : {"instances", "stop_timeout", "stdout.file", "health.exec", "autostart", "depends_on"})
    CHECK_FALSE(IsRestartKey(key));
}

TEST_CASE("Diff: logs_dir moves -> programs with relative log files are updated", "[conf][diff]") {
  // SPEC §6: logs_dir applies on reload; a relative file moves with it, an absolute one stays.
  const std::string programs = R"(
[program.rel]
command = "/bin/rel"
stdout = { file = "rel.log" }
[program.abs]
command = "/bin/abs"
stdout = { file = "/var/tmp/abs.log" }
)";
  const ReloadPlan plan = Diff(LoadOk("[supervisor]\nlogs_dir = \"/tmp/one\"\n" + programs),
                               LoadOk("[supervisor]\nlogs_dir = \"/tmp/two\"\n" + programs));
  REQUIRE(plan.updated.size() == 1);
  CHECK(plan.updated[0].name == "rel");
  CHECK(plan.updated[0].keys == Names{"stdout.file"});
  CHECK(plan.untouched == Names{"abs"});
  CHECK(plan.not_applied.empty());
}
