#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "notify/notify_listener.h"
#include "sup/agent.h"

using namespace sup::daemon;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/sup-notify-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A loop with a listener on <tmp>/notify recording what it receives. The loop must end empty.
struct Fixture {
  TempDir dir;
  uv_loop_t loop;
  std::vector<NotifyMessage> got;
  bool accept = true;
  std::unique_ptr<NotifyListener> listener;

  Fixture() {
    REQUIRE(uv_loop_init(&loop) == 0);
    auto made = NotifyListener::Create(&loop, (dir.path / "notify").string(), [this](const NotifyMessage& m) {
      got.push_back(m);
      return accept;
    });
    REQUIRE(made);
    listener = std::move(*made);
  }
  ~Fixture() {
    listener.reset();
    uv_run(&loop, UV_RUN_DEFAULT);  // runs the close callbacks
    CHECK(uv_loop_close(&loop) == 0);
  }
  // Runs the loop until `done` holds; a bounded wait, never a timing assertion.
  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  std::string path() const { return listener->path(); }
};

// Sends one datagram to `path`, passing `fds` with SCM_RIGHTS.
void Send(const std::string& path, const std::string& payload, const std::vector<int>& fds = {}) {
  const int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  msghdr mh{};
  mh.msg_name = &addr;
  mh.msg_namelen = sizeof(addr);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    mh.msg_control = control.data();
    mh.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  REQUIRE(sendmsg(s, &mh, 0) == static_cast<ssize_t>(payload.size()));
  close(s);
}

bool HungUp(int fd) {
  pollfd p{fd, 0, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

}  // namespace

TEST_CASE("NotifyListener: a datagram -> parsed with the sender's pid and uid", "[notify][listener]") {
  Fixture f;
  Send(f.path(), "READY=1\nSTATUS=warming up");
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  CHECK(f.got[0].pid == getpid());
  CHECK(f.got[0].uid == getuid());
  CHECK(f.got[0].gid == getgid());
  CHECK(f.got[0].ready);
  CHECK(f.got[0].status == "warming up");
  CHECK(f.listener->stats().accepted == 1);
}

TEST_CASE("NotifyListener: the socket -> mode 0666 at <dir>/notify, unlinked at the end", "[notify][listener]") {
  std::string path;
  {
    Fixture f;
    path = f.path();
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0666);
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("NotifyListener: a message from another process -> that process's pid", "[notify][listener]") {
  Fixture f;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setenv("NOTIFY_SOCKET", f.path().c_str(), 1);
    _exit(sup_notify("WATCHDOG=1\nMAINPID=77") == 1 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  CHECK(f.got[0].pid == child);
  CHECK(f.got[0].watchdog_ping);
  CHECK(f.got[0].main_pid == 77);
}

TEST_CASE("NotifyListener: passed descriptors -> closed at once", "[notify][listener]") {
  Fixture f;
  int a[2], b[2];
  REQUIRE(pipe2(a, O_CLOEXEC) == 0);
  REQUIRE(pipe2(b, O_CLOEXEC) == 0);
  Send(f.path(), "STATUS=with fds", {a[1], b[1]});
  close(a[1]);
  close(b[1]);
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  CHECK(f.got[0].fds == 2);
  // Only the listener held the write ends: both pipes must now report hang-up.
  CHECK(HungUp(a[0]));
  CHECK(HungUp(b[0]));
  close(a[0]);
  close(b[0]);
}

TEST_CASE("NotifyListener: BARRIER=1 from the agent -> the sender is released after earlier messages", "[notify][listener]") {
  Fixture f;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setenv("NOTIFY_SOCKET", f.path().c_str(), 1);
    if (sup_notify_ready() != 1) _exit(2);
    _exit(sup_notify_barrier(20000) == 1 ? 0 : 1);
  }
  int status = 0;
  pid_t reaped = 0;
  const bool done = f.RunUntil([&] {
    reaped = waitpid(child, &status, WNOHANG);
    return reaped == child;
  });
  if (!done) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  REQUIRE(done);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(f.got.size() == 2);
  CHECK(f.got[0].ready);
  CHECK(f.got[1].barrier);
  CHECK(f.got[1].fds == 1);
}

TEST_CASE("NotifyListener: a datagram over 4096 bytes -> dropped and counted", "[notify][listener]") {
  Fixture f;
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  Send(f.path(), "STATUS=" + std::string(5000, 'x'), {p[1]});
  close(p[1]);
  Send(f.path(), "READY=1");
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  CHECK(f.listener->stats().oversize == 1);
  REQUIRE(f.got.size() == 1);
  CHECK(f.got[0].ready);
  CHECK(HungUp(p[0]));  // the oversize datagram's fd was closed too
  close(p[0]);
}

TEST_CASE("NotifyListener: exactly 4096 bytes -> accepted", "[notify][listener]") {
  Fixture f;
  const std::string payload = "STATUS=" + std::string(kMaxNotifyDatagram - 7, 'y');
  REQUIRE(payload.size() == kMaxNotifyDatagram);
  Send(f.path(), payload);
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  CHECK(f.got[0].status->size() == 256);
  CHECK(f.listener->stats().oversize == 0);
}

TEST_CASE("NotifyListener: the handler rejects -> counted as notify_rejected", "[notify][listener]") {
  Fixture f;
  f.accept = false;
  Send(f.path(), "READY=1");
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  CHECK(f.listener->stats().rejected == 1);
  CHECK(f.listener->stats().accepted == 0);
}

TEST_CASE("NotifyListener: a NUL inside a datagram -> dropped as malformed", "[notify][listener]") {
  Fixture f;
  Send(f.path(), std::string("READY=1\0x", 9));
  Send(f.path(), "STOPPING=1");
  REQUIRE(f.RunUntil([&] { return !f.got.empty(); }));
  REQUIRE(f.got.size() == 1);
  CHECK(f.got[0].stopping);
  CHECK(f.listener->stats().malformed == 1);
}

TEST_CASE("NotifyListener: Drain -> queued datagrams handled without running the loop", "[notify][listener]") {
  Fixture f;
  // Stay under net.unix.max_dgram_qlen (10 by default) or the sender blocks.
  for (int i = 0; i < 8; ++i) Send(f.path(), "STATUS=" + std::to_string(i));
  f.listener->Drain();
  REQUIRE(f.got.size() == 8);
  CHECK(f.got[7].status == "7");
}

TEST_CASE("NotifyListener: a stale socket at the path -> replaced, another file -> error", "[notify][listener]") {
  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  const std::string path = (dir.path / "notify").string();
  {
    // A socket file left behind by a dead supd: bound, then its owner gone.
    const int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(s >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    close(s);
    REQUIRE(fs::exists(path));
    auto listener = NotifyListener::Create(&loop, path, nullptr);
    REQUIRE(listener);
    Send(path, "READY=1");  // reaches the new socket, not the dead one
    (*listener)->Drain();
    CHECK((*listener)->stats().rejected == 1);  // no handler: nobody accepts
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  const std::string file = (dir.path / "plain").string();
  { std::ofstream(file) << "x"; }
  auto refused = NotifyListener::Create(&loop, file, nullptr);
  REQUIRE_FALSE(refused);
  CHECK(fs::exists(file));
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("SenderBelongs: main pid, group members, strangers and the dead", "[notify]") {
  CHECK(SenderBelongs(getpid(), getpid(), -1));
  CHECK_FALSE(SenderBelongs(0, 0, 0));
  const pid_t member = fork();
  REQUIRE(member >= 0);
  if (member == 0) {
    setpgid(0, 0);
    pause();
    _exit(0);
  }
  setpgid(member, member);  // both sides set it: no race on who runs first
  CHECK(SenderBelongs(member, 999999, member));
  CHECK_FALSE(SenderBelongs(getpid(), 999999, member));
  kill(member, SIGKILL);
  int status = 0;
  waitpid(member, &status, 0);
  CHECK_FALSE(SenderBelongs(member, 999999, member));
  CHECK_FALSE(SenderBelongs(member, member, member));
}
