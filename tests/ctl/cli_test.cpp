// supctl's argument parsing and the requests it builds, without a daemon.
#include <catch2/catch.hpp>

#include <sstream>

#include "ctl/cli.h"
#include "ctl/requests.h"

using nlohmann::json;
using namespace sup::ctl;

namespace {

const sup::conf::Environment kEnv{{"HOME", "/home/u"}};

Invocation Parse(const std::vector<std::string>& args, const sup::conf::Environment& env = kEnv) {
  std::ostringstream out, err;
  auto parsed = ParseCommandLine(args, env, 0, out, err);
  INFO(err.str());
  REQUIRE(std::holds_alternative<Invocation>(parsed));
  return std::get<Invocation>(parsed);
}

int ParseFails(const std::vector<std::string>& args, std::string* err_text = nullptr) {
  std::ostringstream out, err;
  auto parsed = ParseCommandLine(args, kEnv, 0, out, err);
  REQUIRE(std::holds_alternative<int>(parsed));
  if (err_text) *err_text = err.str();
  return std::get<int>(parsed);
}

WireRequest Build(const std::vector<std::string>& args) {
  auto built = BuildRequest(Parse(args));
  REQUIRE(std::holds_alternative<WireRequest>(built));
  return std::get<WireRequest>(built);
}

}  // namespace

TEST_CASE("supctl args: no command -> status of everything", "[ctl][cli]") {
  auto inv = Parse({});
  CHECK(inv.verb == "status");
  auto req = Build({});
  CHECK(req.cmd == "status");
  CHECK(req.args == json{{"select", json::array()}});
}

TEST_CASE("supctl args: socket from -s, else $SUP_SOCKET, else the default path", "[ctl][cli]") {
  CHECK(Parse({"-s", "/x/s.sock", "status"}).socket == "/x/s.sock");
  CHECK(Parse({"status", "-s", "/y.sock"}).socket == "/y.sock");
  CHECK(Parse({}, {{"SUP_SOCKET", "/env.sock"}}).socket == "/env.sock");
  CHECK(Parse({"-s", "/flag.sock"}, {{"SUP_SOCKET", "/env.sock"}}).socket == "/flag.sock");
  CHECK(Parse({}).socket == "/run/sup/sup.sock");  // euid 0 in Parse()
}

TEST_CASE("supctl args: --json before or after the command -> set", "[ctl][cli]") {
  CHECK(Parse({"--json", "status"}).json);
  CHECK(Parse({"status", "web", "--json"}).json);
}

TEST_CASE("supctl args: start with selectors and --timeout -> a waiting start request", "[ctl][cli]") {
  auto req = Build({"start", "web:0", "worker", "--timeout", "2m"});
  CHECK(req.cmd == "start");
  CHECK(req.stream);
  CHECK(req.args == json{{"select", {"web:0", "worker"}}, {"wait", true}, {"timeout_ms", 120000}});
}

TEST_CASE("supctl args: stop --no-wait -> single reply, default timeout 60s", "[ctl][cli]") {
  auto req = Build({"stop", "all", "--no-wait"});
  CHECK_FALSE(req.stream);
  CHECK(req.args == json{{"select", {"all"}}, {"wait", false}, {"timeout_ms", 60000}});
}

TEST_CASE("supctl args: restart --with-dependants --timeout 0 -> no limit", "[ctl][cli]") {
  auto req = Build({"restart", "db", "--with-dependants", "--timeout", "0"});
  CHECK(req.args["with_dependants"] == true);
  CHECK(req.args["timeout_ms"] == 0);
}

TEST_CASE("supctl args: a bad --timeout -> usage error naming the value", "[ctl][cli]") {
  auto built = BuildRequest(Parse({"start", "web", "--timeout", "soon"}));
  REQUIRE(std::holds_alternative<UsageError>(built));
  CHECK(std::get<UsageError>(built).message == "invalid duration 'soon' for --timeout (try 30s, 5m, 0)");
}

TEST_CASE("supctl args: start without a selector -> usage error 2", "[ctl][cli]") {
  std::string err;
  CHECK(ParseFails({"start"}, &err) == 2);
  CHECK(err.find("SEL is required") != std::string::npos);
}

TEST_CASE("supctl args: signal SIG SEL --group -> signal request", "[ctl][cli]") {
  auto req = Build({"signal", "HUP", "web", "worker:1", "--group"});
  CHECK(req.cmd == "signal");
  CHECK(req.args == json{{"signal", "HUP"}, {"select", {"web", "worker:1"}}, {"group", true}});
}

TEST_CASE("supctl args: wait needs --for from the fixed set", "[ctl][cli]") {
  auto req = Build({"wait", "db", "--for", "ready", "--timeout", "30s"});
  CHECK(req.stream);
  CHECK(req.args == json{{"select", {"db"}}, {"for", "ready"}, {"timeout_ms", 30000}});
  CHECK(ParseFails({"wait", "db"}) == 2);
  CHECK(ParseFails({"wait", "db", "--for", "sleeping"}) == 2);
}

TEST_CASE("supctl args: logs -f -n 10 --stderr -> following stderr request", "[ctl][cli]") {
  auto req = Build({"logs", "web", "-f", "-n", "10", "--stderr"});
  CHECK(req.args == json{{"select", {"web"}}, {"lines", 10}, {"follow", true}, {"stream", "stderr"}});
  auto plain = Build({"logs"});
  CHECK(plain.args == json{{"select", json::array()}, {"lines", 50}, {"follow", false}, {"stream", "both"}});
  CHECK(ParseFails({"logs", "--stdout", "--stderr"}) == 2);
}

TEST_CASE("supctl args: reload --dry-run -> dry_run request that waits", "[ctl][cli]") {
  auto req = Build({"reload", "--dry-run"});
  CHECK(req.args == json{{"dry_run", true}, {"wait", true}, {"timeout_ms", 60000}});
}

TEST_CASE("supctl args: events, pid, version, shutdown -> their commands", "[ctl][cli]") {
  CHECK(Build({"events", "web"}).stream);
  CHECK(Build({"pid", "web"}).args == json{{"select", {"web"}}});
  CHECK(Build({"version"}).args == json::object());
  CHECK(Build({"shutdown"}).cmd == "shutdown");
}

TEST_CASE("supctl args: check and notify -> parsed for local use", "[ctl][cli]") {
  CHECK(Parse({"check", "/etc/x.toml"}).file == std::optional<std::string>("/etc/x.toml"));
  CHECK_FALSE(Parse({"check"}).file.has_value());
  auto inv = Parse({"notify", "READY=1", "STATUS=up", "--no-block"});
  CHECK(inv.assignments == std::vector<std::string>{"READY=1", "STATUS=up"});
  CHECK(inv.no_block);
}

TEST_CASE("supctl args: unknown command -> usage error 2 but --help -> 0 with usage text", "[ctl][cli]") {
  CHECK(ParseFails({"frobnicate"}) == 2);
  std::ostringstream out, err;
  auto parsed = ParseCommandLine({"restart", "--help"}, kEnv, 0, out, err);
  REQUIRE(std::holds_alternative<int>(parsed));
  CHECK(std::get<int>(parsed) == 0);
  CHECK(out.str().find("--with-dependants") != std::string::npos);
  CHECK(out.str().find("Example: supctl restart") != std::string::npos);
}

TEST_CASE("supctl args: every command named alone (only it is defined) -> its own help and verb",
          "[ctl][cli]") {
  for (const auto& spec : DescribeCommands()) {
    if (spec.name.empty()) continue;
    INFO(spec.name);
    std::ostringstream out, err;
    auto parsed = ParseCommandLine({"-s", "/x.sock", spec.name, "--help"}, kEnv, 0, out, err);
    REQUIRE(std::holds_alternative<int>(parsed));
    CHECK(std::get<int>(parsed) == 0);
    CHECK(out.str().find("supctl " + spec.name) != std::string::npos);
  }
  CHECK(Parse({"--socket", "status", "pid"}).verb == "pid");  // "status" is the socket here
  CHECK(Parse({"--json", "version"}).verb == "version");
  CHECK(Parse({"import", "supervisord", "/etc/supervisord.conf"}).import_format == "supervisord");
}

TEST_CASE("supctl args: --version prints supctl's version and exits 0, without supd", "[ctl][cli]") {
  std::ostringstream out, err;
  CHECK(std::get<int>(ParseCommandLine({"--version"}, {}, 0, out, err)) == 0);
  CHECK(out.str() == std::string("supctl ") + SUP_VERSION + "\n");
  CHECK(err.str().empty());
}

TEST_CASE("supctl args: an unknown command, option or extra argument -> 2 with a did-you-mean", "[ctl][cli]") {
  auto error_of = [](std::vector<std::string> args) {
    std::ostringstream out, err;
    CHECK(std::get<int>(ParseCommandLine(args, {}, 0, out, err)) == 2);
    return err.str();
  };
  CHECK(error_of({"stauts"}).rfind("supctl: unknown command 'stauts' (did you mean 'status'?)\n", 0) == 0);
  CHECK(error_of({"restart", "web", "--with-dependents"}).find("(did you mean '--with-dependants'?)") !=
        std::string::npos);
  CHECK(error_of({"--jsno", "status"}).find("(did you mean '--json'?)") != std::string::npos);
  CHECK(error_of({"check", "a.toml", "b.toml"}).rfind("supctl: unexpected argument 'b.toml' for 'check'", 0) == 0);
  CHECK(error_of({"zzzzzzzz"}).find("did you mean") == std::string::npos);
}
