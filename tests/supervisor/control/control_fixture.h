// Test fixture for ControlServer: a real loop in a temp directory, a fake CommandHandler and
// a blocking raw client that the test pumps the loop for. Loop thread = the test's thread.
#pragma once

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/control_server.h"

namespace sup::daemon::control::testing {

using nlohmann::json;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sup-ctl-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
    ::chmod(path.c_str(), 0711);  // so that a forked `nobody` can reach the socket
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Answers status/pid/stop at once; holds start/events/wait (streams) until the test acts;
// "logs" floods the caller; "reload" throws; "shutdown" drops the call unanswered.
class FakeHandler : public CommandHandler {
 public:
  void Handle(const std::string& cmd, const json& args, std::shared_ptr<Call> call) override {
    commands.push_back(cmd);
    if (cmd == "status" && args.value("later", false)) {  // as supd's: answered after reads
      call->HoldNext();
      held.push_back(std::move(call));
    } else if (cmd == "status") {
      call->Succeed(json{{"instances", json::array()}, {"select", args.value("select", json::array())}});
    } else if (cmd == "pid") {
      call->Succeed(json{{"pid", ::getpid()}, {"instances", json::array()}});
    } else if (cmd == "stop") {
      call->Succeed(json{{"instances", json::array()}});
    } else if (cmd == "logs") {
      const std::string chunk(16 * 1024, 'x');
      for (int i = 0; i < 200 && call->open(); ++i) call->Emit(json{{"line", chunk}});
      call->End();
    } else if (cmd == "reload") {
      throw std::runtime_error("boom");
    } else if (cmd == "shutdown") {
      // dropped: the call's destructor answers
    } else {
      call->OnCancel([this] { ++cancelled; });
      held.push_back(std::move(call));
    }
  }
  std::vector<std::string> commands;
  std::vector<std::shared_ptr<Call>> held;
  int cancelled = 0;
};

class Loop {
 public:
  Loop() { REQUIRE(uv_loop_init(&loop_) == 0); }
  uv_loop_t& get() { return loop_; }

  // Runs the loop until `done` or `limit` passed (a guard, never an expectation).
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(10'000)) {
    if (done()) return true;
    auto* guard = new uv_timer_t;
    uv_timer_init(&loop_, guard);
    bool expired = false;
    guard->data = &expired;
    uv_timer_start(guard, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
                   static_cast<uint64_t>(limit.count()), 0);
    bool ok = false;
    while (!(ok = done()) && !expired) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(guard), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    uv_run(&loop_, UV_RUN_NOWAIT);
    return ok;
  }

  // Lets every pending close finish; 0 when no handle leaked.
  int Close() {
    uv_run(&loop_, UV_RUN_DEFAULT);
    return uv_loop_close(&loop_);
  }

 private:
  uv_loop_t loop_;
};

// A blocking client socket read without blocking while the loop is pumped.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  // Adopts a connected socket (e.g. one a client of another user passed over SCM_RIGHTS).
  explicit RawClient(int fd) : fd_(fd), connected_(fd >= 0) {}
  ~RawClient() { CloseFd(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  void CloseFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Send(const std::string& text) {
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
  }
  // Reads what is available; true once a whole line or EOF is there.
  bool Ready() {
    Pull();
    return eof_ || buffer_.find('\n') != std::string::npos;
  }
  bool eof() {
    Pull();
    return eof_;
  }
  // The next line, pumping `loop` until it arrives.
  std::optional<json> Next(Loop& loop) {
    loop.RunUntil([&] { return Ready(); });
    const auto nl = buffer_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    return json::parse(line);
  }
  int fd() const { return fd_; }

 private:
  void Pull() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        buffer_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) eof_ = true;
      return;
    }
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

// A started server on DIR/run/sup.sock (the server creates run/).
struct Harness {
  TempDir dir;
  Loop loop;
  FakeHandler handler;
  std::string path = dir.path + "/run/sup.sock";
  std::unique_ptr<ControlServer> server;

  explicit Harness(const std::function<void(ServerOptions&)>& tweak = {}) {
    ::signal(SIGPIPE, SIG_IGN);  // as supd does: a vanished client is an EPIPE, not a death
    ServerOptions options;
    options.path = path;
    if (tweak) tweak(options);
    server = std::make_unique<ControlServer>(loop.get(), options, handler);
    auto started = server->Start();
    INFO((started ? std::string() : started.error().Message()));
    REQUIRE(started);
  }
  // Destroys the server and returns uv_loop_close's result.
  int Finish() {
    server.reset();
    handler.held.clear();
    return loop.Close();
  }
};

inline std::string Request(const json& id, const std::string& cmd, const json& args = json::object()) {
  return json{{"id", id}, {"cmd", cmd}, {"args", args}}.dump() + "\n";
}

}  // namespace sup::daemon::control::testing
