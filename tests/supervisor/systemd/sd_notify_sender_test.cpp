// SdNotifySender against a real datagram socket standing in for systemd's NOTIFY_SOCKET.
#include <catch2/catch.hpp>

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "systemd/sd_notify_sender.h"

using sup::daemon::systemd::SdNotifySender;

namespace {

// A datagram socket bound at `address` (a path, or "@name" for the abstract namespace).
class FakeSystemd {
 public:
  explicit FakeSystemd(const std::string& address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address.data(), address.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    if (address[0] == '@') addr.sun_path[0] = '\0';
    else ++len;
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~FakeSystemd() { ::close(fd_); }
  bool bound() const { return bound_; }
  int fd() const { return fd_; }
  std::string Next() {
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sup-sdn-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("SdNotifySender: a socket path -> one datagram with the message", "[http]") {
  TempDir dir;
  FakeSystemd systemd(dir.path + "/notify");
  REQUIRE(systemd.bound());
  SdNotifySender sender(dir.path + "/notify");
  REQUIRE(sender.Send("READY=1\nSTATUS=3 of 3 instances ready"));
  CHECK(systemd.Next() == "READY=1\nSTATUS=3 of 3 instances ready");
  CHECK(systemd.Next() == "<nothing>");
}

TEST_CASE("SdNotifySender: an abstract @name -> delivered in the abstract namespace", "[http]") {
  const std::string name = "@sup-sdn-test-" + std::to_string(::getpid());
  FakeSystemd systemd(name);
  REQUIRE(systemd.bound());
  REQUIRE(SdNotifySender(name).Send("STOPPING=1"));
  CHECK(systemd.Next() == "STOPPING=1");
}

TEST_CASE("SdNotifySender: no socket -> every send succeeds doing nothing", "[http]") {
  SdNotifySender sender("");
  CHECK_FALSE(sender.enabled());
  CHECK(sender.Send("READY=1"));
}

TEST_CASE("SdNotifySender: a relative or missing socket -> an error, never a crash", "[http]") {
  CHECK_FALSE(SdNotifySender("relative/notify").Send("READY=1"));
  TempDir dir;
  auto r = SdNotifySender(dir.path + "/missing").Send("READY=1");
  REQUIRE_FALSE(r);
  CHECK(r.error().Message().find("No such file or directory") != std::string::npos);
}

TEST_CASE("SdNotifySender: a manager that never reads -> errors once its queue is full, never blocks",
          "[http]") {
  TempDir dir;
  FakeSystemd systemd(dir.path + "/notify");
  REQUIRE(systemd.bound());
  SdNotifySender sender(dir.path + "/notify");
  bool refused = false;
  for (int k = 0; k < 100000 && !refused; ++k) refused = !sender.Send(std::string(2048, 'x'));
  CHECK(refused);
}
