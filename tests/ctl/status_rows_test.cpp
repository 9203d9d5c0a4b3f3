// supctl's reading of status replies without a JSON document (ctl/status_rows.h).
#include <catch2/catch.hpp>

#include "ctl/render.h"
#include "ctl/status_rows.h"

using nlohmann::json;
using namespace sup::ctl;

namespace {

json Instance(const std::string& name, const std::string& state, json pid = nullptr) {
  return json{{"name", name},      {"program", name},      {"instance", 0},     {"state", state},
              {"pid", pid},        {"ready", true},        {"health", "unknown"},
              {"uptime_s", 12.5},  {"restarts", 2},        {"last_exit", nullptr},
              {"exits", json::array()}, {"status_text", ""}, {"waiting_for", ""}, {"error", ""},
              {"counters", {{"requests", 7}, {"load", 0.5}}}, {"wanted_up", true},
              {"completed", false}};
}

std::string Reply(const json& result) {
  return json{{"id", 1}, {"ok", true}, {"result", result}}.dump();
}

}  // namespace

TEST_CASE("ParseStatusReply: an ok reply -> one row per instance with the table's fields",
          "[ctl][status_rows]") {
  json web = Instance("web", "RUNNING", 4242);
  json worker = Instance("worker:0", "BACKOFF");
  worker["last_exit"] = {{"code", nullptr}, {"signal", "KILL"}, {"core_dumped", true},
                         {"at", "2026-11-24T08:00:00.000Z"}, {"run_s", 75}};
  worker["exits"] = {worker["last_exit"], {{"code", 3}, {"signal", nullptr}, {"core_dumped", false},
                                           {"at", "t0"}, {"run_s", 1.5}}};
  worker["error"] = "exited too quickly";
  worker["wanted_up"] = false;
  const auto reply = ParseStatusReply(
      Reply({{"supd", {{"pid", 1}, {"version", "0.1.0"}}}, {"instances", {web, worker}}}));
  REQUIRE(reply);
  CHECK(reply->ok);
  CHECK(reply->has_result);
  REQUIRE(reply->rows.size() == 2);
  const StatusRow& a = reply->rows[0];
  CHECK(a.name == "web");
  CHECK(a.state == "RUNNING");
  CHECK(a.pid == "4242");
  CHECK(a.uptime_s == 12.5);
  CHECK(a.restarts == 2);
  CHECK(a.ready);
  CHECK(a.health == "unknown");
  CHECK(a.last_exit == "-");
  CHECK(a.exits.empty());
  const StatusRow& b = reply->rows[1];
  CHECK(b.pid.empty());
  CHECK(b.last_exit == "KILL (core)");
  CHECK(b.error == "exited too quickly");
  CHECK_FALSE(b.wanted_up);
  REQUIRE(b.exits.size() == 2);
  CHECK(b.exits[0].at == "2026-11-24T08:00:00.000Z");
  CHECK(b.exits[0].text == "KILL (core)");
  CHECK(b.exits[0].run_s == 75);
  CHECK(b.exits[1].text == "exit 3");
  CHECK(b.exits[1].run_s == 1.5);
}

TEST_CASE("ParseStatusReply: an error reply -> not ok and no rows", "[ctl][status_rows]") {
  const auto reply = ParseStatusReply(
      R"({"id":1,"ok":false,"error":{"code":"not_found","message":"no program 'x'","instances":[{"name":"x"}]}})");
  REQUIRE(reply);
  CHECK_FALSE(reply->ok);
  CHECK_FALSE(reply->has_result);
  CHECK(reply->rows.empty());
}

TEST_CASE("ParseStatusReply: malformed JSON -> nullopt", "[ctl][status_rows]") {
  CHECK_FALSE(ParseStatusReply(R"({"id":1,"ok":true,"result":{"instances":[{"name":)"));
  CHECK_FALSE(ParseStatusReply("not json"));
}

TEST_CASE("ParseStatusReply: keys in any order, nested lookalikes and mistyped fields -> "
          "only the instance's own fields, with the table's defaults",
          "[ctl][status_rows]") {
  const auto reply = ParseStatusReply(
      R"({"result":{"instances":[{"counters":{"name":"nested","state":"X"},"state":"STOPPED",)"
      R"("name":"cron","pid":null,"uptime_s":"soon","restarts":1.0,"ready":1,)"
      R"("last_exit":{"run_s":2,"code":137,"core_dumped":false,"signal":null},)"
      R"("extra":[{"name":"nope"}],"wanted_up":"yes"}],"supd":{"name":"supd"}},"ok":true,"id":"a"})");
  REQUIRE(reply);
  CHECK(reply->ok);
  REQUIRE(reply->rows.size() == 1);
  const StatusRow& row = reply->rows[0];
  CHECK(row.name == "cron");
  CHECK(row.state == "STOPPED");
  CHECK(row.pid.empty());
  CHECK(row.uptime_s == -1);
  CHECK(row.restarts == 1);
  CHECK_FALSE(row.ready);
  CHECK(row.last_exit == "exit 137");
  CHECK(row.wanted_up);  // not a boolean: the default
}

TEST_CASE("ParseStatusResult: a bare result renders as the document form does",
          "[ctl][status_rows]") {
  json web = Instance("web", "RUNNING", 4242);
  json db = Instance("db", "STOPPED");
  db["wanted_up"] = false;
  const json result{{"instances", {web, db}}};
  const auto rows = ParseStatusResult(result.dump());
  REQUIRE(rows);
  CHECK(RenderStatus(*rows, false, Style{false}) == RenderStatus(result, false, Style{false}));
  CHECK(StatusExitCode(*rows, false) == 0);
  CHECK(StatusExitCode(*rows, true) == 3);
  CHECK(StatusExitCode(result, true) == 3);
}
