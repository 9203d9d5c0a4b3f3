#include "http/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "http/http_connection.h"

namespace sup::daemon::http {
namespace {

constexpr int kBacklog = 128;

std::string FormatAddress(const sockaddr* addr, int& port) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(in6, text, sizeof(text));
    port = ntohs(in6->sin6_port);
    return std::string("[") + text + "]:" + std::to_string(port);
  }
  const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
  uv_ip4_name(in, text, sizeof(text));
  port = ntohs(in->sin_port);
  return std::string(text) + ":" + std::to_string(port);
}

}  // namespace

bool SplitHostPort(const std::string& address, std::string& host, std::string& port) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host.find_first_of("[]") != std::string::npos) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsLoopback(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr->sa_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

HttpServer::HttpServer(uv_loop_t& loop, ServerOptions options, Handler handler)
    : loop_(loop), options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  Close();
  retired_.clear();
}

Result<void> HttpServer::Start() {
  const std::string context = "http " + options_.address;
  std::string host, port;
  if (!SplitHostPort(options_.address, host, port))
    return Fail(Error{ErrorCode::kInvalidConfig, 0, context + ": not \"host:port\""});
  if (host == "*") host = "0.0.0.0";
  // Resolved once, before the loop runs ("localhost" and other names are allowed).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Fail(Error{ErrorCode::kInvalidConfig, 0, context + ": " + ::gai_strerror(rc)});
  Result<void> bound = Fail(Error{ErrorCode::kInvalidConfig, 0, context + ": no address"});
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    bound = Bind(ai->ai_addr);
    if (bound) break;
  }
  ::freeaddrinfo(found);
  if (!bound) return Fail(Error{bound.error().code, bound.error().sys, context + ": " + bound.error().context});
  return {};
}

Result<void> HttpServer::Bind(const sockaddr* addr) {
  UvHandle<uv_tcp_t> tcp(new uv_tcp_t);
  if (const int rc = uv_tcp_init(&loop_, tcp.get()); rc != 0) {
    delete tcp.release();
    return Fail(Error{ErrorCode::kLibuv, rc, std::string("init: ") + uv_strerror(rc)});
  }
  int rc = uv_tcp_bind(tcp.get(), addr, 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp.get()), kBacklog, &HttpServer::OnConnection);
  if (rc != 0) return Fail(Error{ErrorCode::kLibuv, rc, std::string("bind: ") + uv_strerror(rc)});
  sockaddr_storage local{};
  int len = sizeof(local);
  if ((rc = uv_tcp_getsockname(tcp.get(), reinterpret_cast<sockaddr*>(&local), &len)) != 0)
    return Fail(Error{ErrorCode::kLibuv, rc, std::string("getsockname: ") + uv_strerror(rc)});
  bound_ = FormatAddress(reinterpret_cast<const sockaddr*>(&local), port_);
  loopback_ = IsLoopback(reinterpret_cast<const sockaddr*>(&local));
  tcp->data = this;
  listener_ = std::move(tcp);
  return {};
}

void HttpServer::Close() {
  listener_.reset();
  // Close() retires each connection from live_: iterate over a copy of the pointers.
  std::vector<Connection*> open;
  for (auto& c : live_) open.push_back(c.get());
  for (auto* c : open) c->Close();
}

void HttpServer::OnConnection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<HttpServer*>(listener->data);
  if (self == nullptr) return;
  self->Sweep();
  if (status < 0) {
    spdlog::warn("http: accept: {}", uv_strerror(status));
    return;
  }
  self->Accept();
}

void HttpServer::Accept() {
  UvHandle<uv_tcp_t> tcp(new uv_tcp_t);
  if (uv_tcp_init(&loop_, tcp.get()) != 0) {
    delete tcp.release();
    return;
  }
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()),
                reinterpret_cast<uv_stream_t*>(tcp.get())) != 0)
    return;  // tcp closes as it goes out of scope
  if (live_.size() >= options_.max_connections) {
    spdlog::debug("http: {} connections open, closing a new one", live_.size());
    return;
  }
  live_.push_back(std::make_unique<Connection>(*this, std::move(tcp)));
  live_.back()->Begin();
}

Response HttpServer::Answer(const Request& request) {
  try {
    return handler_(request);
  } catch (const std::exception& e) {
    spdlog::error("http: {} {}: {}", request.method, request.path, e.what());
    return ErrorResponse(500);
  }
}

void HttpServer::Retire(Connection* connection) {
  auto it = std::find_if(live_.begin(), live_.end(), [&](auto& c) { return c.get() == connection; });
  if (it == live_.end()) return;
  retired_.push_back(std::move(*it));
  live_.erase(it);
}

void HttpServer::Sweep() { retired_.clear(); }

}  // namespace sup::daemon::http
