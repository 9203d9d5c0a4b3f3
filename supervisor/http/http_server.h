// HttpServer: a small HTTP/1.1 server on a uv_tcp_t in supd's own loop. One request per
// connection (answered with Connection: close), parsed by RequestParser; limits on
// connections, head size and time, so that bad, huge or slow clients get a 4xx or are
// closed and never disturb supervision. Idle = no timer: only connections arm one.
// Loop thread only. Connections live in http_connection.{h,cpp}.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/endpoints.h"
#include "http/request_parser.h"
#include "loop/uv_handle.h"
#include "sup/base/result.h"

namespace sup::daemon::http {

class Connection;

struct ServerOptions {
  std::string address;  // "127.0.0.1:9100", "[::1]:9100", "localhost:9100", "*:9100", port 0 = any
  std::size_t max_connections = 64;  // more are accepted and closed at once
  std::chrono::milliseconds request_timeout{10'000};  // from accept to a complete request head
  std::chrono::milliseconds linger{2'000};  // after the answer, to read what the client still sends
  std::size_t max_discard = 64 * 1024;      // bytes read and ignored after the head (a body)
  ParserLimits limits;
};

class HttpServer {
 public:
  // Answers a complete request; runs on the loop thread and must not block. An exception is
  // answered with 500.
  using Handler = std::function<Response(const Request&)>;

  HttpServer(uv_loop_t& loop, ServerOptions options, Handler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Resolves the address (at start-up, before the loop runs), binds and listens. Failures
  // (bad address, address in use, …) leave nothing open.
  Result<void> Start();
  // Stops listening and closes every connection. Idempotent. Run the loop once more
  // afterwards so that libuv can finish closing the handles.
  void Close();

  std::size_t connections() const { return live_.size(); }
  // The bound address, e.g. "127.0.0.1:9100" or "[::1]:9100"; its port; whether it is a
  // loopback address (SPEC §6: a warning otherwise). Valid after Start().
  const std::string& bound() const { return bound_; }
  int port() const { return port_; }
  bool loopback() const { return loopback_; }

  // Used by Connection.
  uv_loop_t& loop() { return loop_; }
  const ServerOptions& options() const { return options_; }
  Response Answer(const Request& request);
  void Retire(Connection* connection);
  // Frees retired connections; called at the top of every server and connection callback,
  // where no retired connection is on the stack.
  void Sweep();
  char* read_buffer() { return read_buffer_.data(); }
  std::size_t read_buffer_size() const { return read_buffer_.size(); }

 private:
  static void OnConnection(uv_stream_t* listener, int status) noexcept;
  void Accept();
  Result<void> Bind(const sockaddr* addr);

  uv_loop_t& loop_;
  ServerOptions options_;
  Handler handler_;
  UvHandle<uv_tcp_t> listener_;
  std::vector<std::unique_ptr<Connection>> live_;
  std::vector<std::unique_ptr<Connection>> retired_;
  std::string bound_;
  int port_ = 0;
  bool loopback_ = false;
  std::vector<char> read_buffer_ = std::vector<char>(16 * 1024);
};

// "host:port" -> (host, port); "[::1]:80" -> ("::1", "80"). False when malformed.
bool SplitHostPort(const std::string& address, std::string& host, std::string& port);
// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
bool IsLoopback(const sockaddr* addr);

}  // namespace sup::daemon::http
