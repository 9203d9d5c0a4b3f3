// Start-up of ControlServer (directory, stale and live sockets, mode) and SO_PEERCRED access.
#include "control_fixture.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <future>
#include <thread>

#include "protocol/client.h"

using namespace sup::daemon::control;
using namespace sup::daemon::control::testing;

namespace {

// A bound, never-listening socket file: what a crashed supd leaves behind.
void MakeStaleSocket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  ::close(fd);
}

sup::Result<void> StartOn(Loop& loop, FakeHandler& handler, const std::string& path) {
  ServerOptions options;
  options.path = path;
  ControlServer server(loop.get(), options, handler);
  return server.Start();
}

// Runs `client` in a child as `nobody` while the loop serves; returns the child's exit code.
int RunAsNobody(Harness& h, const std::function<int()>& client) {
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  // SIGCHLD wakes the loop (watched before the fork): the child's exit is no event of it.
  auto* sigchld = new uv_signal_t;
  uv_signal_init(&h.loop.get(), sigchld);
  uv_signal_start(sigchld, [](uv_signal_t*, int) {}, SIGCHLD);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) _exit(90);
    _exit(client());
  }
  int status = -1;
  h.loop.RunUntil([&] { return ::waitpid(child, &status, WNOHANG) == child; });
  uv_close(reinterpret_cast<uv_handle_t*>(sigchld), [](uv_handle_t* s) { delete reinterpret_cast<uv_signal_t*>(s); });
  if (status == -1) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// An unprivileged peer: stop is denied, status allowed. Exit code 0 = as expected.
int StopDeniedStatusAllowed(const std::string& path) {
  auto client = sup::protocol::Client::Connect(path);
  if (!client) return 10;
  auto stop = client->Call("stop", json{{"select", {"web"}}}, std::chrono::milliseconds(10'000));
  if (!stop || stop->ok || stop->error_code != "permission_denied") return 11;
  auto status = client->Call("status", json::object(), std::chrono::milliseconds(10'000));
  if (!status || !status->ok) return 12;
  return 0;
}

int StopAllowed(const std::string& path) {
  auto client = sup::protocol::Client::Connect(path);
  if (!client) return 10;
  auto stop = client->Call("stop", json::object(), std::chrono::milliseconds(10'000));
  return stop && stop->ok ? 0 : 11;
}

// Connects `n` clients as `nobody` in a child and passes them back over SCM_RIGHTS: the
// server keeps seeing nobody's credentials (taken at connect), the test holds the sockets.
std::vector<std::unique_ptr<RawClient>> ConnectAsNobody(Harness& h, int n) {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  const int back = pair[0];
  const int code = RunAsNobody(h, [&] {
    for (int i = 0; i < n; ++i) {
      RawClient client(h.path);
      if (!client.connected()) return 20;
      int fd = client.fd();
      char byte = 'c';
      iovec iov{&byte, 1};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      cmsghdr* cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
      if (::sendmsg(pair[1], &msg, MSG_NOSIGNAL) != 1) return 21;
    }
    return 0;
  });
  ::close(pair[1]);
  REQUIRE(code == 0);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < n; ++i) {
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    REQUIRE(::recvmsg(back, &msg, MSG_CMSG_CLOEXEC) == 1);
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    REQUIRE(cm != nullptr);
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    clients.push_back(std::make_unique<RawClient>(fd));
  }
  ::close(back);
  return clients;
}

}  // namespace

TEST_CASE("ControlServer: missing socket directory -> created with mode 0711", "[control][socket]") {
  Harness h;
  struct stat st {};
  REQUIRE(::stat((h.dir.path + "/run").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0711);
  CHECK(st.st_uid == ::geteuid());
  REQUIRE(::lstat(h.path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(h.Finish() == 0);
  CHECK_FALSE(std::filesystem::exists(h.path));
}

TEST_CASE("ControlServer: socket_mode and socket_group -> applied to the socket", "[control][socket]") {
  const group* gr = ::getgrgid(0);
  REQUIRE(gr != nullptr);
  const std::string group_name = gr->gr_name;
  Harness h([&](ServerOptions& o) {
    o.mode = 0660;
    o.group = group_name;
  });
  struct stat st {};
  REQUIRE(::lstat(h.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
  CHECK(st.st_gid == 0);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a group- or world-writable socket directory -> start-up refused",
          "[control][socket]") {
  TempDir dir;
  Loop loop;
  FakeHandler handler;
  const std::string run = dir.path + "/run";
  REQUIRE(::mkdir(run.c_str(), 0700) == 0);
  REQUIRE(::chmod(run.c_str(), 0770) == 0);
  auto started = StartOn(loop, handler, run + "/sup.sock");
  REQUIRE_FALSE(started);
  CHECK(started.error().context == "socket directory " + run + " is group- or world-writable");
  REQUIRE(loop.Close() == 0);
}

TEST_CASE("ControlServer: a socket directory owned by another user -> start-up refused",
          "[control][socket]") {
  if (::geteuid() != 0) {
    WARN("needs root to give a directory away");
    return;
  }
  TempDir dir;
  Loop loop;
  FakeHandler handler;
  const std::string run = dir.path + "/run";
  REQUIRE(::mkdir(run.c_str(), 0700) == 0);
  REQUIRE(::chown(run.c_str(), 65534, 65534) == 0);
  auto started = StartOn(loop, handler, run + "/sup.sock");
  REQUIRE_FALSE(started);
  CHECK(started.error().context.find("is owned by uid 65534") != std::string::npos);
  REQUIRE(loop.Close() == 0);
}

TEST_CASE("ControlServer: a stale socket at the path -> removed and replaced", "[control][socket]") {
  TempDir dir;
  const std::string run = dir.path + "/run";
  REQUIRE(::mkdir(run.c_str(), 0700) == 0);
  MakeStaleSocket(run + "/sup.sock");
  Loop loop;
  FakeHandler handler;
  ServerOptions options;
  options.path = run + "/sup.sock";
  {
    ControlServer server(loop.get(), options, handler);
    REQUIRE(server.Start());
    RawClient client(options.path);
    CHECK(client.connected());
  }
  REQUIRE(loop.Close() == 0);
}

TEST_CASE("ControlServer: a regular file at the path -> start-up refused, file kept",
          "[control][socket]") {
  TempDir dir;
  const std::string run = dir.path + "/run";
  REQUIRE(::mkdir(run.c_str(), 0700) == 0);
  const std::string path = run + "/sup.sock";
  { std::FILE* f = std::fopen(path.c_str(), "w"); std::fclose(f); }
  Loop loop;
  FakeHandler handler;
  auto started = StartOn(loop, handler, path);
  REQUIRE_FALSE(started);
  CHECK(started.error().context == path + " exists and is not a socket");
  CHECK(std::filesystem::exists(path));
  REQUIRE(loop.Close() == 0);
}

TEST_CASE("ControlServer: another live server on the path -> refused naming its pid",
          "[control][socket]") {
  TempDir dir;
  const std::string path = dir.path + "/run/sup.sock";
  // The first server runs its own loop on a thread, as another supd would in its process.
  std::promise<bool> started;
  uv_async_t* stop = nullptr;
  std::thread other([&] {
    Loop loop;
    FakeHandler handler;
    ServerOptions options;
    options.path = path;
    auto server = std::make_unique<ControlServer>(loop.get(), options, handler);
    stop = new uv_async_t;
    uv_async_init(&loop.get(), stop, [](uv_async_t* a) {
      delete static_cast<std::unique_ptr<ControlServer>*>(a->data);
      uv_close(reinterpret_cast<uv_handle_t*>(a), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    });
    stop->data = new std::unique_ptr<ControlServer>(std::move(server));
    const bool ok = static_cast<bool>((*static_cast<std::unique_ptr<ControlServer>*>(stop->data))->Start());
    started.set_value(ok);
    loop.Close();
  });
  REQUIRE(started.get_future().get());
  Loop loop;
  FakeHandler handler;
  auto second = StartOn(loop, handler, path);
  uv_async_send(stop);
  other.join();
  REQUIRE_FALSE(second);
  CHECK(second.error().context == "another supd (pid " + std::to_string(::getpid()) + ") serves " + path);
  CHECK(second.error().code == sup::ErrorCode::kBusy);
  REQUIRE(loop.Close() == 0);
}

TEST_CASE("ControlServer: an unprivileged peer -> permission_denied for stop, status allowed",
          "[control][socket]") {
  if (::geteuid() != 0) {
    WARN("needs root to run a client as another user");
    return;
  }
  Harness h([](ServerOptions& o) { o.mode = 0666; });
  CHECK(RunAsNobody(h, [&] { return StopDeniedStatusAllowed(h.path); }) == 0);
  CHECK(h.handler.commands == std::vector<std::string>{"status"});
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a peer named in allow_users (also after SetAccess) -> may stop",
          "[control][socket]") {
  if (::geteuid() != 0) {
    WARN("needs root to run a client as another user");
    return;
  }
  Harness h([](ServerOptions& o) {
    o.mode = 0666;
    o.allow_users = {"nobody"};
  });
  CHECK(RunAsNobody(h, [&] { return StopAllowed(h.path); }) == 0);
  REQUIRE(h.server->SetAccess({}, {}));
  CHECK(RunAsNobody(h, [&] { return StopDeniedStatusAllowed(h.path); }) == 0);
  const group* gr = ::getgrgid(::getpwnam("nobody")->pw_gid);
  REQUIRE(gr != nullptr);
  REQUIRE(h.server->SetAccess({}, {gr->gr_name}));
  CHECK(RunAsNobody(h, [&] { return StopAllowed(h.path); }) == 0);
  auto unknown = h.server->SetAccess({"no-such-user-sup"}, {});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().context == "allow_users: no user 'no-such-user-sup'");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: unprivileged peers fill their places -> busy for them, root still served",
          "[control][socket]") {
  if (::geteuid() != 0) {
    WARN("needs root to run a client as another user");
    return;
  }
  Harness h([](ServerOptions& o) {
    o.mode = 0666;
    o.max_clients = 6;
    o.privileged_reserve = 2;
  });
  auto nobody = ConnectAsNobody(h, 5);
  // The first four were admitted (each answers); the fifth was told busy and closed.
  for (int i = 0; i < 4; ++i) {
    nobody[i]->Send(Request(i, "version"));
    auto reply = nobody[i]->Next(h.loop);
    REQUIRE(reply);
    CHECK((*reply)["ok"] == true);
  }
  auto refused = nobody[4]->Next(h.loop);
  REQUIRE(refused);
  CHECK((*refused)["id"].is_null());
  CHECK((*refused)["error"]["code"] == "busy");
  CHECK((*refused)["error"]["message"] ==
        "too many clients (4 unprivileged connected; the other 2 places are kept for privileged users)");
  CHECK(h.loop.RunUntil([&] { return nobody[4]->eof(); }));
  // Root takes the reserved places; past max_clients everyone is refused.
  RawClient root1(h.path), root2(h.path), root3(h.path);
  root1.Send(Request(1, "version"));
  REQUIRE(root1.Next(h.loop));
  root2.Send(Request(1, "version"));
  auto served = root2.Next(h.loop);
  REQUIRE(served);
  CHECK((*served)["ok"] == true);
  auto full = root3.Next(h.loop);
  REQUIRE(full);
  CHECK((*full)["error"]["message"] == "too many clients (6 connected)");
  CHECK(h.server->clients() == 6);
  // An unprivileged place freed is open to unprivileged peers again.
  nobody[0].reset();
  REQUIRE(h.loop.RunUntil([&] { return h.server->clients() == 5; }));
  auto again = ConnectAsNobody(h, 1);
  again[0]->Send(Request(9, "version"));
  auto ok = again[0]->Next(h.loop);
  REQUIRE(ok);
  CHECK((*ok)["id"] == 9);
  REQUIRE(h.Finish() == 0);
}
