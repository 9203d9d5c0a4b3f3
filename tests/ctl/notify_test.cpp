// supctl notify's sender: the datagram, the abstract address, and the BARRIER=1 handshake.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "ctl/notify.h"

using sup::ctl::SendNotify;

namespace {

struct Receiver {
  int fd = -1;
  explicit Receiver(const std::string& address) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address.data(), address.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    if (address[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      len += 1;
    }
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  }
  ~Receiver() { ::close(fd); }

  // One datagram; a passed fd (closed here, as supd does) is reported in `got_fd`.
  std::string Receive(bool* got_fd) {
    pollfd pfd{fd, POLLIN, 0};
    REQUIRE(::poll(&pfd, 1, 10'000) == 1);
    char data[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    iovec iov{data, sizeof(data)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    REQUIRE(n >= 0);
    *got_fd = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int passed;
        std::memcpy(&passed, CMSG_DATA(c), sizeof(int));
        ::close(passed);
        *got_fd = true;
      }
    }
    return std::string(data, static_cast<size_t>(n));
  }
};

}  // namespace

TEST_CASE("SendNotify: --no-block -> one datagram with every assignment", "[ctl][notify]") {
  char tmpl[] = "/tmp/sup-notify-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string path = std::string(tmpl) + "/notify";
  {
    Receiver receiver(path);
    REQUIRE(SendNotify(path, {"READY=1", "STATUS=up"}, false, std::chrono::seconds(5)));
    bool fd = true;
    CHECK(receiver.Receive(&fd) == "READY=1\nSTATUS=up\n");
    CHECK_FALSE(fd);
  }
  std::filesystem::remove_all(tmpl);
}

TEST_CASE("SendNotify: barrier on an abstract socket -> returns once the receiver closed the fd",
          "[ctl][notify]") {
  const std::string address = "@sup-notify-test-" + std::to_string(::getpid());
  Receiver receiver(address);
  auto sent = std::async(std::launch::async, [&] {
    return static_cast<bool>(SendNotify(address, {"READY=1"}, true, std::chrono::seconds(20)));
  });
  bool fd = false;
  CHECK(receiver.Receive(&fd) == "READY=1\n");
  CHECK_FALSE(fd);
  CHECK(receiver.Receive(&fd) == "BARRIER=1\n");
  CHECK(fd);  // closed by Receive: the sender may return now
  CHECK(sent.get());
}

TEST_CASE("SendNotify: nobody reads the barrier -> fails after the timeout", "[ctl][notify]") {
  const std::string address = "@sup-notify-deaf-" + std::to_string(::getpid());
  Receiver receiver(address);  // bound, never reads: the passed fd stays open in its queue
  auto sent = SendNotify(address, {"READY=1"}, true, std::chrono::milliseconds(100));
  REQUIRE_FALSE(sent);
  CHECK(sent.error().context == "supd did not confirm the message (BARRIER=1) in time");
}

TEST_CASE("SendNotify: no such socket -> error naming the failure", "[ctl][notify]") {
  auto sent = SendNotify("/nonexistent-dir/notify", {"READY=1"}, false, std::chrono::seconds(1));
  REQUIRE_FALSE(sent);
  CHECK(sent.error().sys == ENOENT);
  CHECK_FALSE(SendNotify("relative", {"READY=1"}, false, std::chrono::seconds(1)));
}
