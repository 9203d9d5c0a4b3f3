// One HTTP client of HttpServer: reads one request head, answers it, half-closes, then reads
// and discards what the client still sends (a body, a pipelined request) until it closes, so
// that the answer is not lost to a reset. Owned by the server; Close() hands it back to be
// freed outside its own callbacks. Loop thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "http/endpoints.h"
#include "http/request_parser.h"
#include "loop/timer.h"
#include "loop/uv_handle.h"

namespace sup::daemon::http {

class HttpServer;

class Connection {
 public:
  Connection(HttpServer& server, UvHandle<uv_tcp_t> tcp);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Starts reading and the request deadline; closes the connection on failure.
  void Begin();
  // Idempotent; the server frees the object later (HttpServer::Sweep).
  void Close();

 private:
  enum class Phase { kReading, kWaiting, kAnswering, kLingering };

  static void OnAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void OnWritten(uv_write_t* req, int status) noexcept;
  static void OnShutdown(uv_shutdown_t* req, int status) noexcept;

  void Received(std::string_view bytes);
  void PeerClosed();
  void Answer(const Response& response, bool head);
  void Written(int status);
  void ShutDown(int status);

  HttpServer& server_;
  UvHandle<uv_tcp_t> tcp_;
  Timer deadline_;  // request_timeout while reading, then linger
  RequestParser parser_;
  Phase phase_ = Phase::kReading;
  std::size_t discarded_ = 0;
  bool peer_closed_ = false;
  bool closed_ = false;
  // Tells an answer that was read off the loop whether this connection still exists.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sup::daemon::http
