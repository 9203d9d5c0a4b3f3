// BuildEnvironment and the passwd look-ups: SPEC §4 "Child process" precedence, pure.
#include <catch2/catch.hpp>

#include "process/environment.h"

namespace sup::daemon {
namespace {

using Env = std::vector<std::string>;
using Vars = std::vector<std::pair<std::string, std::string>>;

const conf::Environment kStartup = {
    {"HOME", "/root"},           {"LANG", "C.UTF-8"},     {"PATH", "/opt/bin:/usr/bin"},
    {"NOTIFY_SOCKET", "/run/x"}, {"LISTEN_FDS", "2"},     {"LISTEN_PID", "1"},
    {"WATCHDOG_USEC", "5"},      {"WATCHDOG_PID", "1"},   {"SUP_CONFIG", "/etc/sup.toml"},
    {"SUPER", "kept"},           {"MY_LISTEN_X", "kept"}};

TEST_CASE("BuildEnvironment: supd's manager variables are not inherited", "[process][env]") {
  const Env env = BuildEnvironment(kStartup, false, nullptr, {}, {});
  CHECK(env == Env{"HOME=/root", "LANG=C.UTF-8", "MY_LISTEN_X=kept", "PATH=/opt/bin:/usr/bin",
                   "SUPER=kept"});
}

TEST_CASE("BuildEnvironment: clear_env keeps nothing of supd's but still sets PATH", "[process][env]") {
  const Env env = BuildEnvironment(kStartup, true, nullptr, {}, {});
  CHECK(env == Env{kDefaultPath});
}

TEST_CASE("BuildEnvironment: the user's passwd entry overrides supd's HOME", "[process][env]") {
  const UserEntry user{"app", 1000, 1000, "/home/app", "/bin/bash"};
  const Env env = BuildEnvironment(kStartup, false, &user, {}, {});
  CHECK(env == Env{"HOME=/home/app", "LANG=C.UTF-8", "LOGNAME=app", "MY_LISTEN_X=kept",
                   "PATH=/opt/bin:/usr/bin", "SHELL=/bin/bash", "SUPER=kept", "USER=app"});
}

TEST_CASE("BuildEnvironment: the program's environment overrides user and supd, later keys win",
          "[process][env]") {
  const UserEntry user{"app", 1000, 1000, "/home/app", "/bin/bash"};
  const Vars program = {{"HOME", "/srv"}, {"PATH", "/app/bin"}, {"X", "1"}, {"X", "2"}};
  const Env env = BuildEnvironment({}, false, &user, program, {});
  CHECK(env == Env{"HOME=/srv", "LOGNAME=app", "PATH=/app/bin", "SHELL=/bin/bash", "USER=app", "X=2"});
}

TEST_CASE("BuildEnvironment: supd's own variables come last and win", "[process][env]") {
  SupVariables sup;
  sup.program = "web";
  sup.instance = "2";
  sup.socket = "/run/sup/sup.sock";
  sup.notify_socket = "/run/sup/notify";
  sup.counters_fd = 3;
  sup.watchdog = std::chrono::microseconds(5'000'000);
  const Env env = BuildEnvironment({{"SUP_PROGRAM", "outer"}}, false, nullptr,
                                   {{"SUP_INSTANCE", "sneaky"}}, sup);
  CHECK(env == Env{"NOTIFY_SOCKET=/run/sup/notify", kDefaultPath, "SUP_COUNTERS_FD=3",
                   "SUP_INSTANCE=2", "SUP_PROGRAM=web", "SUP_SOCKET=/run/sup/sup.sock",
                   "WATCHDOG_USEC=5000000"});
}

TEST_CASE("BuildEnvironment: unset supd variables are left out", "[process][env]") {
  const Env env = BuildEnvironment({}, false, nullptr, {}, SupVariables{});
  CHECK(env == Env{kDefaultPath});
}

TEST_CASE("FindInEnvironment: a name matches exactly and never as a prefix", "[process][env]") {
  const Env env = {"PATHX=no", "PATH=/bin", "EMPTY="};
  REQUIRE(FindInEnvironment(env, "PATH") != nullptr);
  CHECK(std::string(FindInEnvironment(env, "PATH")) == "/bin");
  CHECK(std::string(FindInEnvironment(env, "EMPTY")).empty());
  CHECK(FindInEnvironment(env, "PAT") == nullptr);
}

TEST_CASE("LookupUser: root by name and by id, an unknown name is kNotFound", "[process][env]") {
  auto by_name = LookupUser("root");
  REQUIRE(by_name);
  CHECK(by_name->uid == 0);
  CHECK(by_name->gid == 0);
  CHECK_FALSE(by_name->home.empty());
  auto by_id = LookupUser("0");
  REQUIRE(by_id);
  CHECK(by_id->name == "root");
  auto unknown = LookupUser("sup-no-such-user");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  CHECK(unknown.error().Message() == "unknown user 'sup-no-such-user'");
}

TEST_CASE("LookupUser: a bare uid without a passwd entry is accepted with HOME=/", "[process][env]") {
  auto user = LookupUser("4000123");
  REQUIRE(user);
  CHECK(user->uid == 4000123u);
  CHECK(user->gid == 4000123u);
  CHECK(user->home == "/");
}

TEST_CASE("LookupGroup: names and numbers resolve, unknown names do not", "[process][env]") {
  auto root = LookupGroup("root");
  REQUIRE(root);
  CHECK(*root == 0u);
  auto numeric = LookupGroup("1234");
  REQUIRE(numeric);
  CHECK(*numeric == 1234u);
  auto unknown = LookupGroup("sup-no-such-group");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().Message() == "unknown group 'sup-no-such-group'");
}

}  // namespace
}  // namespace sup::daemon
