// supctl end to end against a scripted fake supd: exit codes (SPEC §5) and printed lines.
// The real supd is covered by the integration tests.
#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "ctl/subcommands.h"

using nlohmann::json;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sup-ctl-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

int Listen(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  return fd;
}

// Serves one connection: each request line is answered with respond(request)'s lines.
class ScriptedSupd {
 public:
  ScriptedSupd(const std::string& path, std::function<std::string(const json&)> respond)
      : listener_(Listen(path)), respond_(std::move(respond)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedSupd() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  json last_request;

 private:
  void Serve() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string buffer;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof(chunk));
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        last_request = json::parse(buffer.substr(0, nl));
        buffer.erase(0, nl + 1);
        const std::string reply = respond_(last_request);
        if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
      }
    }
    ::close(fd);
  }
  int listener_;
  std::function<std::string(const json&)> respond_;
  std::thread thread_;
};

std::string Line(const json& j) { return j.dump() + "\n"; }

struct Run {
  int code = -1;
  std::string out, err;
};

Run Supctl(const std::vector<std::string>& args, const sup::conf::Environment& env = {}) {
  std::ostringstream out, err;
  Run r;
  r.code = sup::ctl::Main(args, env, out, err, false);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace

TEST_CASE("supctl: no socket at the path -> exit 4 naming the socket", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  auto r = Supctl({"-s", path, "status"});
  CHECK(r.code == 4);
  CHECK(r.err.find("supd is not reachable at " + path + ": No such file or directory") != std::string::npos);
}

TEST_CASE("supctl: a stale socket (ECONNREFUSED) via $SUP_SOCKET -> exit 4", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ::close(Listen(path));
  auto r = Supctl({"stop", "web"}, {{"SUP_SOCKET", path}});
  CHECK(r.code == 4);
  CHECK(r.err.find(path + ": Connection refused") != std::string::npos);
}

TEST_CASE("supctl: a socket directory that denies access -> exit 5", "[ctl][exit]") {
  TempDir dir;
  const std::string locked = dir.path + "/locked";
  REQUIRE(::mkdir(locked.c_str(), 0700) == 0);
  const int listener = Listen(locked + "/sup.sock");
  REQUIRE(::chmod(dir.path.c_str(), 0711) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) _exit(90);
    } else if (::chmod(locked.c_str(), 0) != 0) {
      _exit(91);
    }
    std::ostringstream out, err;
    const int code = sup::ctl::Main({"-s", locked + "/sup.sock", "status"}, {}, out, err, false);
    _exit(code == 5 && err.str().find("permission denied") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::chmod(locked.c_str(), 0700);
  ::close(listener);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("supctl: supd answers permission_denied -> exit 5", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    return Line({{"id", req["id"]}, {"ok", false},
                 {"error", {{"code", "permission_denied"}, {"message", "'stop' needs root"}}}});
  });
  auto r = Supctl({"-s", path, "stop", "web"});
  CHECK(r.code == 5);
  CHECK(r.err == "supctl: 'stop' needs root\n");
}

TEST_CASE("supctl: an unknown selector (not_found) -> exit 1 with the did-you-mean", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    return Line({{"id", req["id"]}, {"ok", false},
                 {"error", {{"code", "not_found"}, {"message", "no program 'wbe' (did you mean 'web'?)"}}}});
  });
  auto r = Supctl({"-s", path, "start", "wbe"});
  CHECK(r.code == 1);
  CHECK(r.err == "supctl: no program 'wbe' (did you mean 'web'?)\n");
  CHECK(supd.last_request["args"]["select"] == json{"wbe"});
}

TEST_CASE("supctl: status with a selected instance not running -> exit 3, table printed",
          "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    json inst{{"name", "web"}, {"state", "STOPPED"}, {"pid", nullptr}, {"ready", false},
              {"health", "unknown"}, {"restarts", 0}, {"last_exit", nullptr}, {"wanted_up", false}};
    return Line({{"id", req["id"]}, {"ok", true}, {"result", {{"supd", {{"pid", 1}}}, {"instances", {inst}}}}});
  });
  auto r = Supctl({"-s", path, "status", "web"});
  CHECK(r.code == 3);
  CHECK(r.out.find("web   STOPPED") != std::string::npos);
}

TEST_CASE("supctl: start streams one failure among successes -> both lines, exit 1", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    const json& id = req["id"];
    return Line({{"id", id}, {"ok", true}, {"result", {{"name", "web:0"}, {"outcome", "ok"}, {"state", "RUNNING"}, {"message", ""}}}}) +
           Line({{"id", id}, {"ok", true}, {"result", {{"name", "web:1"}, {"outcome", "failed"}, {"state", "FATAL"}, {"message", "start limit hit"}}}}) +
           Line({{"id", id}, {"ok", true}, {"end", true}});
  });
  auto r = Supctl({"-s", path, "start", "web"});
  CHECK(r.code == 1);
  CHECK(r.out == "web:0: started\nweb:1: failed: start limit hit\n");
  CHECK(supd.last_request["args"] == json{{"select", {"web"}}, {"wait", true}, {"timeout_ms", 60000}});
}

TEST_CASE("supctl: stop with a dependants warning -> warning on stderr, exit 0", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    const json& id = req["id"];
    return Line({{"id", id}, {"ok", true}, {"result", {{"name", "db"}, {"outcome", "ok"}, {"state", "STOPPED"}, {"message", ""}, {"killed", false}, {"warning", "still running dependants: web"}}}}) +
           Line({{"id", id}, {"ok", true}, {"end", true}});
  });
  auto r = Supctl({"-s", path, "stop", "db"});
  CHECK(r.code == 0);
  CHECK(r.out == "db: stopped\n");
  CHECK(r.err == "supctl: warning: still running dependants: web\n");
}

TEST_CASE("supctl: wait that times out -> exit 3", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    const json& id = req["id"];
    return Line({{"id", id}, {"ok", true}, {"result", {{"name", "db"}, {"outcome", "timeout"}, {"state", "STARTING"}, {"message", "STARTING: waiting for READY=1 (30s)"}}}}) +
           Line({{"id", id}, {"ok", true}, {"end", true}});
  });
  auto r = Supctl({"-s", path, "wait", "db", "--for", "ready", "--timeout", "30s"});
  CHECK(r.code == 3);
  CHECK(r.out == "db: timed out: STARTING: waiting for READY=1 (30s)\n");
}

TEST_CASE("supctl: reload refused for config errors -> exit 2 with every error", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    return Line({{"id", req["id"]}, {"ok", false},
                 {"error", {{"code", "config_error"}, {"message", "config has 2 errors; nothing changed"},
                            {"errors", {"sup.toml:3:1: unknown key `restat`", "sup.toml:9:5: bad duration"}}}}});
  });
  auto r = Supctl({"-s", path, "reload"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "supctl: config has 2 errors; nothing changed\nsup.toml:3:1: unknown key `restat`\nsup.toml:9:5: bad duration\n");
}

TEST_CASE("supctl: version with supd up -> both versions", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    return Line({{"id", req["id"]}, {"ok", true}, {"result", {{"version", "9.9.9"}, {"protocol", 1}}}});
  });
  auto r = Supctl({"-s", path, "version"});
  CHECK(r.code == 0);
  CHECK(r.out == std::string("supctl ") + SUP_VERSION + " (protocol 1)\nsupd 9.9.9 (protocol 1)\n");
}

TEST_CASE("supctl: version with supd down -> the client version, exit 4", "[ctl][exit]") {
  TempDir dir;
  auto r = Supctl({"-s", dir.path + "/none.sock", "version"});
  CHECK(r.code == 4);
  CHECK(r.out == std::string("supctl ") + SUP_VERSION + " (protocol 1)\n");
}

TEST_CASE("supctl: signal to an instance that is not running -> exit 1", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  ScriptedSupd supd(path, [](const json& req) {
    return Line({{"id", req["id"]}, {"ok", true},
                 {"result", {{"instances", {{{"name", "web:0"}, {"pid", 12}, {"sent", true}, {"message", "sent SIGHUP"}},
                                            {{"name", "web:1"}, {"pid", nullptr}, {"sent", false}, {"message", "not running (STOPPED)"}}}}}}});
  });
  auto r = Supctl({"-s", path, "signal", "HUP", "web"});
  CHECK(r.code == 1);
  CHECK(r.out == "web:0: sent SIGHUP (pid 12)\nweb:1: not sent: not running (STOPPED)\n");
}

TEST_CASE("supctl: check of a missing file -> the loader's error, non-zero", "[ctl][exit]") {
  TempDir dir;
  auto r = Supctl({"check", dir.path + "/missing.toml"});
  CHECK(r.code == 2);
  CHECK_FALSE(r.err.empty());
}

TEST_CASE("supctl: status --json -> supd's document unchanged", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  const json doc{{"supd", {{"pid", 1}, {"version", "0.1.0"}}}, {"instances", json::array()}};
  ScriptedSupd supd(path, [&](const json& req) { return Line({{"id", req["id"]}, {"ok", true}, {"result", doc}}); });
  auto r = Supctl({"--json", "-s", path});
  CHECK(r.code == 0);
  CHECK(json::parse(r.out) == doc);
}

TEST_CASE("supctl: notify without NOTIFY_SOCKET -> exit 1 and a word without '=' -> exit 2", "[ctl][exit]") {
  auto r = Supctl({"notify", "READY=1"});
  CHECK(r.code == 1);
  CHECK(r.err.find("NOTIFY_SOCKET is not set") != std::string::npos);
  r = Supctl({"notify", "READY"}, {{"NOTIFY_SOCKET", "@x"}});
  CHECK(r.code == 2);
  CHECK(r.err == "supctl: 'READY' is not KEY=VALUE\n");
}

TEST_CASE("supctl: supd closes the connection before replying -> exit 4", "[ctl][exit]") {
  TempDir dir;
  const std::string path = dir.path + "/sup.sock";
  const int listener = Listen(path);
  std::thread closer([&] { ::close(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)); });
  auto r = Supctl({"-s", path, "status"});
  closer.join();
  ::close(listener);
  CHECK(r.code == 4);
  CHECK(r.err.find("supctl: lost supd at " + path + ": ") == 0);  // closed, EPIPE or ECONNRESET: a race
}
