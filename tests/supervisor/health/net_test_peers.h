// Test peers for the network probes: a TCP socket that listens but never accepts, a port
// with nothing listening, and a tiny thread-based HTTP server whose replies the test scripts.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sup::daemon::testing {

// A TCP socket listening on 127.0.0.1 (an ephemeral port) that never accepts: the kernel
// completes connections in its backlog, which is all a tcp probe needs.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 with nothing listening (bound once to learn a free port, then closed).
inline int ClosedPort() {
  Listener probe;
  return probe.port();
}

// A blocking HTTP server on its own thread. Each connection reads the request head and gets
// the next scripted reply (the last one repeats); an empty reply means "never answer": the
// connection is held open until the server stops.
class HttpServer {
 public:
  explicit HttpServer(std::vector<std::string> replies) : replies_(std::move(replies)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpServer() {
    stop_ = true;
    thread_.join();
    for (int fd : held_) close(fd);
  }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return listener_.port(); }
  std::string url(const std::string& path = "/health") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  static std::string Reply(int code, const std::string& reason) {
    return "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Length: 2\r\n\r\nok";
  }

 private:
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void Serve() {
    size_t next = 0;
    while (WaitReadable(listener_.fd())) {
      const int fd = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string head;
      char buffer[1024];
      while (head.find("\r\n\r\n") == std::string::npos && WaitReadable(fd)) {
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        head.append(buffer, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(head);
      }
      const std::string& reply = replies_[std::min(next, replies_.size() - 1)];
      ++next;
      if (reply.empty()) {
        held_.push_back(fd);
        continue;
      }
      (void)!write(fd, reply.data(), reply.size());
      close(fd);
    }
  }

  Listener listener_;
  std::vector<std::string> replies_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<int> held_;  // server thread only, then the destructor after join
  std::thread thread_;
};

}  // namespace sup::daemon::testing
