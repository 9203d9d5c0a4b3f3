#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "agent_test_util.h"
#include "sup/agent.h"
#include "sup/agent.hpp"

using sup::agent::testing::InChild;

namespace {

// A datagram socket bound to an abstract name (no file to clean up), as a stand-in for supd.
struct AbstractSocket {
  int fd = -1;
  std::string name;  // as $NOTIFY_SOCKET spells it: "@..."
  AbstractSocket() {
    name = "@sup-agent-test-" + std::to_string(getpid());
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0);
  }
  ~AbstractSocket() { close(fd); }
  // The next datagram, waiting up to 10 s ("" when none came).
  std::string Receive() {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10'000) != 1) return "";
    char buf[8192];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    return n < 0 ? "" : std::string(buf, static_cast<std::size_t>(n));
  }
};

}  // namespace

TEST_CASE("Agent notify: no NOTIFY_SOCKET -> every call returns 0", "[agent][notify]") {
  CHECK(InChild([] {
          unsetenv("NOTIFY_SOCKET");
          const bool all_zero = sup_notify("READY=1") == 0 && sup_notify_ready() == 0 &&
                                sup_notify_status("x") == 0 && sup_notify_watchdog() == 0 &&
                                sup_notify_stopping() == 0 && sup_notify_reloading() == 0 &&
                                sup_notify_barrier(100) == 0 && sup::agent::NotifyReady() == 0;
          { sup::agent::StoppingOnExit stopping; }
          return all_zero ? 0 : 1;
        }) == 0);
}

TEST_CASE("Agent notify: an abstract '@' socket -> each helper sends its systemd message", "[agent][notify]") {
  AbstractSocket supd;
  REQUIRE(InChild([&] {
            setenv("NOTIFY_SOCKET", supd.name.c_str(), 1);
            int sent = 0;
            sent += sup_notify_ready();
            sent += sup_notify_status("serving");
            sent += sup_notify_watchdog();
            sent += sup_notify_stopping();
            sent += sup_notify_reloading();
            sent += sup_notify("MAINPID=1\nERRNO=2");
            return sent == 6 ? 0 : 1;
          }) == 0);
  CHECK(supd.Receive() == "READY=1");
  CHECK(supd.Receive() == "STATUS=serving");
  CHECK(supd.Receive() == "WATCHDOG=1");
  CHECK(supd.Receive() == "STOPPING=1");
  CHECK(supd.Receive() == "RELOADING=1");
  CHECK(supd.Receive() == "MAINPID=1\nERRNO=2");
}

TEST_CASE("Agent notify: a very long STATUS -> cut to fit one 4096-byte datagram", "[agent][notify]") {
  AbstractSocket supd;
  REQUIRE(InChild([&] {
            setenv("NOTIFY_SOCKET", supd.name.c_str(), 1);
            return sup_notify_status(std::string(10000, 's').c_str()) == 1 ? 0 : 1;
          }) == 0);
  const std::string got = supd.Receive();
  CHECK(got.size() == 4096);
  CHECK(got.rfind("STATUS=sss", 0) == 0);
}

TEST_CASE("Agent notify: a barrier nobody answers -> -ETIMEDOUT after the timeout", "[agent][notify]") {
  AbstractSocket supd;  // receives the fd but never closes it
  CHECK(InChild([&] {
          setenv("NOTIFY_SOCKET", supd.name.c_str(), 1);
          return sup_notify_barrier(50) == -ETIMEDOUT ? 0 : 1;
        }) == 0);
}

TEST_CASE("Agent notify: a bad NOTIFY_SOCKET -> -errno, never a crash", "[agent][notify]") {
  CHECK(InChild([] {
          setenv("NOTIFY_SOCKET", "relative/path", 1);
          if (sup_notify_ready() != -EAFNOSUPPORT) return 1;
          setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);
          if (sup_notify_ready() != -EINVAL) return 2;
          setenv("NOTIFY_SOCKET", "/nonexistent/sup/notify", 1);
          if (sup_notify_ready() != -ENOENT) return 3;
          return sup_notify(nullptr) == -EINVAL ? 0 : 4;
        }) == 0);
}
