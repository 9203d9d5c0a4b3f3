// Test fixture for HttpServer: a real loop pumped by the test's thread, and a blocking TCP
// client on 127.0.0.1 whose replies are read without blocking while the loop runs.
#pragma once

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>

namespace sup::daemon::http::testing {

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
    uv_close(reinterpret_cast<uv_handle_t*>(guard),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
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

class TcpClient {
 public:
  explicit TcpClient(int port) {
    ::signal(SIGPIPE, SIG_IGN);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TcpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return connected_; }
  // Blocking; the test keeps what it sends within the socket buffers.
  void Send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      off += static_cast<std::size_t>(n);
    }
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  // Everything the server sent until it closed, pumping `loop` meanwhile.
  std::string ReadToEof(Loop& loop) {
    loop.RunUntil([&] { return Eof(); });
    return received_;
  }
  bool Eof() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        received_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) eof_ = true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        eof_ = true;
        reset_ = errno == ECONNRESET;
      }
      return eof_;
    }
  }
  bool reset() const { return reset_; }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  bool reset_ = false;
  std::string received_;
};

}  // namespace sup::daemon::http::testing
