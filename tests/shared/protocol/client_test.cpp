#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "protocol/client.h"

using nlohmann::json;
using sup::ErrorCode;
using sup::protocol::Client;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sup-proto-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A bound socket; listening unless told otherwise.
int BindSocket(const std::string& path, bool listening) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  if (listening) REQUIRE(::listen(fd, 8) == 0);
  return fd;
}

void WriteAll(int fd, const std::string& s) {
  REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
}

}  // namespace

TEST_CASE("Client: no socket file -> kNotFound naming the path", "[protocol][client]") {
  TempDir dir;
  auto client = Client::Connect(dir.path + "/none.sock");
  REQUIRE_FALSE(client);
  CHECK(client.error().code == ErrorCode::kNotFound);
  CHECK(client.error().sys == ENOENT);
  CHECK(client.error().context == "connect " + dir.path + "/none.sock");
}

TEST_CASE("Client: a stale socket nobody listens on -> kNotFound (ECONNREFUSED)",
          "[protocol][client]") {
  TempDir dir;
  const std::string path = dir.path + "/stale.sock";
  ::close(BindSocket(path, false));
  auto client = Client::Connect(path);
  REQUIRE_FALSE(client);
  CHECK(client.error().code == ErrorCode::kNotFound);
  CHECK(client.error().sys == ECONNREFUSED);
}

TEST_CASE("Client: a directory the caller may not search -> kPermission", "[protocol][client]") {
  TempDir dir;
  const std::string sub = dir.path + "/locked";
  REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  const int listener = BindSocket(sub + "/s.sock", true);
  REQUIRE(::chmod(dir.path.c_str(), 0711) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) _exit(90);
    } else if (::chmod(sub.c_str(), 0) != 0) {
      _exit(91);
    }
    auto client = Client::Connect(sub + "/s.sock");
    _exit(!client && client.error().code == ErrorCode::kPermission ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::chmod(sub.c_str(), 0700);
  ::close(listener);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("Client: replies for other ids arrive first -> kept and returned by id",
          "[protocol][client]") {
  TempDir dir;
  const std::string path = dir.path + "/s.sock";
  const int listener = BindSocket(path, true);
  auto client = Client::Connect(path);
  REQUIRE(client);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(server >= 0);
  auto first = client->Send("status", json::object());
  auto second = client->Send("pid", json::object());
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first == 1);
  CHECK(*second == 2);
  char buf[256];
  const ssize_t n = ::read(server, buf, sizeof(buf));
  REQUIRE(n > 0);
  CHECK(std::string(buf, n).find("\"cmd\":\"status\"") != std::string::npos);
  WriteAll(server, "{\"id\":2,\"ok\":true,\"result\":{\"pid\":42}}\n{\"id\":1,\"ok\":true,");
  WriteAll(server, "\"result\":{\"instances\":[]}}\n");
  auto reply1 = client->Read(1);
  REQUIRE(reply1);
  CHECK(reply1->result == json{{"instances", json::array()}});
  auto reply2 = client->Read(2, std::chrono::milliseconds(5000));
  REQUIRE(reply2);
  CHECK(reply2->result["pid"] == 42);
  ::close(server);
  ::close(listener);
}

TEST_CASE("Client: a stream -> every item, then the end marker", "[protocol][client]") {
  TempDir dir;
  const std::string path = dir.path + "/s.sock";
  const int listener = BindSocket(path, true);
  auto client = Client::Connect(path);
  REQUIRE(client);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  WriteAll(server,
           "{\"id\":1,\"ok\":true,\"result\":{\"n\":1}}\n{\"id\":1,\"ok\":true,\"result\":{\"n\":2}}\n"
           "{\"id\":1,\"ok\":true,\"end\":true}\n");
  int items = 0;
  auto end = client->Stream("events", json::object(), [&](const json& item) {
    ++items;
    CHECK(item["n"] == items);
  });
  REQUIRE(end);
  CHECK(end->end);
  CHECK(items == 2);
  ::close(server);
  ::close(listener);
}

TEST_CASE("Client: the server closes before replying -> kProtocol error", "[protocol][client]") {
  TempDir dir;
  const std::string path = dir.path + "/s.sock";
  const int listener = BindSocket(path, true);
  auto client = Client::Connect(path);
  REQUIRE(client);
  ::close(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  auto reply = client->Call("status", json::object());
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == ErrorCode::kProtocol);
  ::close(listener);
}

TEST_CASE("Client: no reply within the timeout -> kBusy timed out", "[protocol][client]") {
  TempDir dir;
  const std::string path = dir.path + "/s.sock";
  const int listener = BindSocket(path, true);
  auto client = Client::Connect(path);
  REQUIRE(client);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  auto reply = client->Call("status", json::object(), std::chrono::milliseconds(50));
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == sup::ErrorCode::kBusy);
  ::close(server);
  ::close(listener);
}

TEST_CASE("Client: CallForLine -> the reply line undecoded, however it was split",
          "[protocol][client]") {
  TempDir dir;
  const std::string path = dir.path + "/s.sock";
  const int listener = BindSocket(path, true);
  auto client = Client::Connect(path);
  REQUIRE(client);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(server >= 0);
  const std::string reply = "{\"id\":1,\"ok\":true,\"result\":{\"instances\":[" +
                            std::string(200 * 1024, ' ') + "]}}";
  // The reply exceeds the socket buffer, so it is written while the client reads. Catch's
  // assertions are not thread-safe: the writer only records what it managed.
  bool served = false;
  std::thread writer([&] {
    char buf[256];
    if (::read(server, buf, sizeof(buf)) <= 0) return;
    const std::string rest = reply.substr(100) + "\n{\"id\":9}\n";
    served = ::send(server, reply.data(), 100, MSG_NOSIGNAL) == 100 &&
             ::send(server, rest.data(), rest.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(rest.size());
  });
  auto line = client->CallForLine("status", json::object());
  writer.join();
  CHECK(served);
  REQUIRE(line);
  CHECK(*line == reply);
  ::close(server);
  ::close(listener);
}
