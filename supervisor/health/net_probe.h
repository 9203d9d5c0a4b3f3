// NetProbe: a tcp probe (passes once a connection is established) or an http probe (sends
// GET over HTTP/1.0, passes on a 2xx/3xx status line). Host names resolve through
// uv_getaddrinfo off the loop; every address is tried in turn until one connects.
// Loop thread only. Destroying it closes the socket and detaches every pending request
// (getaddrinfo, connect, write), whose memory libuv frees later in their callbacks.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "health/health_target.h"
#include "health/probe.h"
#include "loop/uv_handle.h"

namespace sup::daemon {

class NetProbe final : public Probe {
 public:
  // A tcp probe of `address`.
  NetProbe(uv_loop_t& loop, HostPort address);
  // An http probe of `url`.
  NetProbe(uv_loop_t& loop, HttpUrl url);
  NetProbe(const NetProbe&) = delete;
  NetProbe& operator=(const NetProbe&) = delete;
  ~NetProbe() override;

  Result<void> Start(DoneFn done) override;

 private:
  struct WriteRequest;  // uv_write_t plus the bytes it sends

  static void OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* result) noexcept;
  static void OnConnected(uv_connect_t* req, int status) noexcept;
  static void OnWritten(uv_write_t* req, int status) noexcept;
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;

  bool ConnectNext();  // true: a connect is in flight; false: none left (last_error_ says why)
  void SendRequest();
  void OnResponseBytes();
  void Finish(bool passed, std::string detail);

  uv_loop_t& loop_;
  HostPort address_;
  std::optional<HttpUrl> url_;  // set: http
  std::vector<sockaddr_storage> candidates_;
  size_t next_ = 0;
  std::string current_;     // "127.0.0.1:8080", "[::1]:80": the address being tried
  std::string last_error_;  // "connect 127.0.0.1:8080: Connection refused"
  UvHandle<uv_tcp_t> socket_;
  // Requests libuv owns until their callback; their back pointer is cleared on destruction.
  uv_getaddrinfo_t* resolving_ = nullptr;
  uv_connect_t* connecting_ = nullptr;
  WriteRequest* writing_ = nullptr;
  std::string response_;  // bytes up to the end of the status line
  std::array<char, 1024> buffer_{};
  DoneFn done_;
};

}  // namespace sup::daemon
