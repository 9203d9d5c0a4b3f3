// supctl's rendering of supd's documents and the status exit code.
#include <catch2/catch.hpp>

#include "ctl/render.h"

using nlohmann::json;
using namespace sup::ctl;

namespace {

json Instance(const std::string& name, const std::string& state, json pid = nullptr) {
  return json{{"name", name},     {"program", name}, {"instance", 0},     {"state", state},
              {"pid", pid},       {"ready", state == "RUNNING"},         {"health", "unknown"},
              {"uptime_s", 12.5}, {"restarts", 0},   {"last_exit", nullptr}, {"exits", json::array()},
              {"status_text", ""}, {"waiting_for", ""}, {"error", ""},       {"wanted_up", true},
              {"completed", false}};
}

const Style kPlain{false};
const Style kTty{true};

}  // namespace

TEST_CASE("RenderStatus: plain output -> aligned columns without colour", "[ctl][render]") {
  json web = Instance("web", "RUNNING", 4242);
  web["cpu_pct"] = 12.46;
  web["rss_bytes"] = 555745280;
  json worker = Instance("worker:0", "BACKOFF");
  worker["restarts"] = 3;
  worker["last_exit"] = json{{"code", 1}, {"signal", nullptr}, {"core_dumped", false}, {"at", "t"}, {"run_s", 0.2}};
  worker["error"] = "exited too quickly";
  worker["cpu_pct"] = nullptr;  // no process: null figures
  worker["rss_bytes"] = nullptr;
  const std::string text = RenderStatus(json{{"instances", {web, worker}}}, false, kPlain);
  CHECK(text ==
        "NAME      STATE    PID   CPU%  MEM     UPTIME  RESTARTS  READY  LAST EXIT  STATUS\n"
        "web       RUNNING  4242  12.5  530MiB  12s     0         ready  -\n"
        "worker:0  BACKOFF  -     -     -       -       3         -      exit 1     exited too quickly\n");
  CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("RenderStatus: on a TTY -> states coloured and human uptime", "[ctl][render]") {
  json web = Instance("web", "RUNNING", 1);
  web["uptime_s"] = 3725;
  const std::string text = RenderStatus(json{{"instances", {web}}}, false, kTty);
  CHECK(text.find("\x1b[32mRUNNING\x1b[0m") != std::string::npos);
  CHECK(text.find("1h2m") != std::string::npos);
}

TEST_CASE("RenderStatus: one instance in detail -> its last exits and what it waits for",
          "[ctl][render]") {
  json db = Instance("db", "STARTING", 7);
  db["waiting_for"] = "READY=1";
  db["exits"] = {json{{"code", nullptr}, {"signal", "KILL"}, {"core_dumped", true}, {"at", "2026-11-24T08:00:00.000Z"}, {"run_s", 75}},
                 json{{"code", nullptr}, {"signal", "TERM"}, {"core_dumped", false}, {"at", "2026-11-24T07:00:00.000Z"},
                      {"run_s", 3}, {"reason", "memory limit 64MiB exceeded (used 72MiB)"}}};
  const std::string text = RenderStatus(json{{"instances", {db}}}, true, kPlain);
  CHECK(text.find("waiting for READY=1") != std::string::npos);  // STATUS column
  CHECK(text.find("\nwaiting for: READY=1\n") != std::string::npos);
  CHECK(text.find("  2026-11-24T08:00:00.000Z  KILL (core)  ran 1m15s\n") != std::string::npos);
  CHECK(text.find("  2026-11-24T07:00:00.000Z  TERM  ran 3s  memory limit 64MiB exceeded (used 72MiB)\n") !=
        std::string::npos);
}

TEST_CASE("RenderStatus: a log file's error -> in the STATUS column, after the instance's own error",
          "[ctl][render]") {
  json web = Instance("web", "RUNNING", 7);
  web["output_error"] = "write /x/web.log: No space left on device";
  CHECK(RenderStatus(json{{"instances", {web}}}, false, kPlain).find(
            "output: write /x/web.log: No space left on device") != std::string::npos);
  web["error"] = "exec: /bin/web: not found";
  const std::string text = RenderStatus(json{{"instances", {web}}}, false, kPlain);
  CHECK(text.find("exec: /bin/web: not found") != std::string::npos);
  CHECK(text.find("output: write") == std::string::npos);
}

TEST_CASE("StatusExitCode: everything RUNNING -> 0 and one STOPPED selected -> 3", "[ctl][render]") {
  json up = Instance("web", "RUNNING", 1);
  json down = Instance("cron", "STOPPED");
  CHECK(StatusExitCode(json{{"instances", {up}}}, false) == 0);
  CHECK(StatusExitCode(json{{"instances", {up, down}}}, true) == 3);
}

TEST_CASE("StatusExitCode: no selector -> wanted-down instances do not count", "[ctl][render]") {
  json up = Instance("web", "RUNNING", 1);
  json down = Instance("cron", "STOPPED");
  down["wanted_up"] = false;
  CHECK(StatusExitCode(json{{"instances", {up, down}}}, false) == 0);
  CHECK(StatusExitCode(json{{"instances", {up, down}}}, true) == 3);
}

TEST_CASE("StatusExitCode: unhealthy RUNNING -> 3 and a completed one-shot -> 0", "[ctl][render]") {
  json sick = Instance("web", "RUNNING", 1);
  sick["health"] = "unhealthy";
  CHECK(StatusExitCode(json{{"instances", {sick}}}, true) == 3);
  json job = Instance("migrate", "EXITED");
  job["completed"] = true;
  CHECK(StatusExitCode(json{{"instances", {job}}}, true) == 0);
  job["completed"] = false;
  CHECK(StatusExitCode(json{{"instances", {job}}}, true) == 3);
}

TEST_CASE("RenderOutcome: ok, killed, failed and timeout -> one line and its exit code",
          "[ctl][render]") {
  int code = -1;
  CHECK(RenderOutcome("start", "", json{{"name", "web:0"}, {"outcome", "ok"}, {"message", ""}}, kPlain, code) ==
        "web:0: started");
  CHECK(code == 0);
  CHECK(RenderOutcome("stop", "", json{{"name", "worker"}, {"outcome", "ok"}, {"message", "stopped (SIGKILL after 10s)"}, {"killed", true}},
                      kPlain, code) == "worker: stopped (SIGKILL after 10s)");
  CHECK(RenderOutcome("stop", "", json{{"name", "worker"}, {"outcome", "ok"}, {"message", "SIGKILL after 10s"}, {"killed", true}},
                      kPlain, code) == "worker: stopped (SIGKILL after 10s)");
  CHECK(RenderOutcome("start", "", json{{"name", "w"}, {"outcome", "ok"}, {"message", ""}, {"killed", true}}, kPlain, code) ==
        "w: started");
  CHECK(RenderOutcome("stop", "", json{{"name", "w"}, {"outcome", "ok"}, {"killed", true}}, kPlain, code) ==
        "w: stopped (SIGKILL)");
  CHECK(RenderOutcome("start", "", json{{"name", "web"}, {"outcome", "ok"}, {"message", "already running"}}, kPlain, code) ==
        "web: started (already running)");
  CHECK(RenderOutcome("restart", "", json{{"name", "api"}, {"outcome", "failed"}, {"message", "start limit hit: 5 starts in 10s"}},
                      kPlain, code) == "api: failed: start limit hit: 5 starts in 10s");
  CHECK(code == 1);
  CHECK(RenderOutcome("start", "", json{{"name", "web:0"}, {"outcome", "timeout"}, {"message", "STARTING: waiting for READY=1 (41s)"}},
                      kPlain, code) == "web:0: timed out: STARTING: waiting for READY=1 (41s)");
  CHECK(code == 1);
}

TEST_CASE("RenderOutcome: wait -> names the wanted state and a timeout exits 3", "[ctl][render]") {
  int code = -1;
  CHECK(RenderOutcome("wait", "ready", json{{"name", "db"}, {"outcome", "ok"}}, kPlain, code) == "db: ready");
  CHECK(code == 0);
  RenderOutcome("wait", "ready", json{{"name", "db"}, {"outcome", "timeout"}}, kPlain, code);
  CHECK(code == 3);
  RenderOutcome("wait", "ready", json{{"name", "db"}, {"outcome", "failed"}, {"message", "FATAL"}}, kPlain, code);
  CHECK(code == 1);
}

TEST_CASE("RenderPlan: a dry run -> each non-empty section, keys in parentheses", "[ctl][render]") {
  json plan{{"added", {"new"}},
            {"removed", json::array()},
            {"restarted", {{{"name", "web"}, {"keys", {"command"}}}}},
            {"updated", {{{"name", "db"}, {"keys", {"stop_timeout", "priority"}}}}},
            {"untouched", {"cron"}},
            {"not_applied", {"supervisor.socket"}}};
  CHECK(RenderPlan(plan, true) ==
        "reload plan (dry run, nothing changed):\n"
        "  added: new\n"
        "  restarted: web (command)\n"
        "  updated in place: db (stop_timeout, priority)\n"
        "  untouched: cron\n"
        "  not applied (restart supd): supervisor.socket\n");
  CHECK(RenderPlan(json{{"untouched", {"a"}}}, false) == "reloaded:\n  untouched: a\n  no changes\n");
}

TEST_CASE("FormatSeconds and FormatExit: human units on a TTY, seconds otherwise", "[ctl][render]") {
  CHECK(FormatSeconds(12.5, kTty) == "12s");
  CHECK(FormatSeconds(75, kTty) == "1m15s");
  CHECK(FormatSeconds(90000, kTty) == "1d1h");
  CHECK(FormatSeconds(3725.2, kPlain) == "3725s");
  CHECK(FormatExit(nullptr) == "-");
  CHECK(FormatExit(json{{"code", 0}, {"signal", nullptr}}) == "exit 0");
  CHECK(FormatExit(json{{"code", nullptr}, {"signal", "SEGV"}, {"core_dumped", true}}) == "SEGV (core)");
}

TEST_CASE("RenderLogLine: stdout and stderr -> distinct separators", "[ctl][render]") {
  CHECK(RenderLogLine(json{{"name", "web:0"}, {"stream", "stdout"}, {"line", "hello"}}, kPlain) == "web:0 | hello");
  CHECK(RenderLogLine(json{{"name", "web:0"}, {"stream", "stderr"}, {"line", "oops"}}, kPlain) == "web:0 ! oops");
}
