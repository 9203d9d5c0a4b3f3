#include "health/net_probe.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

namespace sup::daemon {
namespace {

constexpr size_t kMaxStatusLine = 8 * 1024;  // a server sending more without '\n' is broken

// strerror's wording ("Connection refused") for errno-based libuv codes, libuv's own text for
// the rest (getaddrinfo's UV_EAI_*). strerror_r: other threads may format errors too.
std::string ErrorText(int uv_error) {
  if (uv_error < 0 && uv_error > -1000) {  // UV_EAI_* are near -3000, UV_EOF -4095
    char buffer[128];
    return strerror_r(-uv_error, buffer, sizeof buffer);  // GNU: returns the text
  }
  return uv_strerror(uv_error);
}

std::string AddressText(const sockaddr_storage& address) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    uv_ip6_name(&in6, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  const auto& in4 = reinterpret_cast<const sockaddr_in&>(address);
  uv_ip4_name(&in4, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(in4.sin_port));
}

// The numeric address `host:port`, or nullopt when `host` is a name to resolve.
std::optional<sockaddr_storage> NumericAddress(const HostPort& address) {
  sockaddr_storage out{};
  if (uv_ip4_addr(address.host.c_str(), address.port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return out;
  if (uv_ip6_addr(address.host.c_str(), address.port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) return out;
  return std::nullopt;
}

}  // namespace

struct NetProbe::WriteRequest {
  uv_write_t req;
  NetProbe* owner;
  std::string bytes;
};

NetProbe::NetProbe(uv_loop_t& loop, HostPort address) : loop_(loop), address_(std::move(address)) {}

NetProbe::NetProbe(uv_loop_t& loop, HttpUrl url) : loop_(loop), address_(url.address), url_(std::move(url)) {}

NetProbe::~NetProbe() {
  if (resolving_ != nullptr) {
    resolving_->data = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(resolving_));  // fails once a worker runs it: fine
  }
  if (connecting_ != nullptr) connecting_->data = nullptr;
  if (writing_ != nullptr) writing_->owner = nullptr;
  // socket_ closes after this body: pending connect/write callbacks then see no owner.
}

Result<void> NetProbe::Start(DoneFn done) {
  if (auto numeric = NumericAddress(address_)) {
    candidates_.push_back(*numeric);
    if (!ConnectNext()) return Fail(Error{ErrorCode::kLibuv, 0, last_error_});
    done_ = std::move(done);
    return {};
  }
  auto* req = new uv_getaddrinfo_t;
  req->data = this;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const int rc = uv_getaddrinfo(&loop_, req, &NetProbe::OnResolved, address_.host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete req;
    return Fail(Error{ErrorCode::kLibuv, rc, "resolve " + address_.host + ": " + ErrorText(rc)});
  }
  resolving_ = req;
  done_ = std::move(done);
  return {};
}

void NetProbe::OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* result) noexcept {
  auto* self = static_cast<NetProbe*>(req->data);
  delete req;
  if (self == nullptr) {
    uv_freeaddrinfo(result);
    return;
  }
  self->resolving_ = nullptr;
  for (const addrinfo* ai = status == 0 ? result : nullptr; ai != nullptr; ai = ai->ai_next) {
    sockaddr_storage address{};
    if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(sockaddr_in)) {
      std::memcpy(&address, ai->ai_addr, sizeof(sockaddr_in));
      reinterpret_cast<sockaddr_in&>(address).sin_port = htons(static_cast<uint16_t>(self->address_.port));
    } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(sockaddr_in6)) {
      std::memcpy(&address, ai->ai_addr, sizeof(sockaddr_in6));
      reinterpret_cast<sockaddr_in6&>(address).sin6_port = htons(static_cast<uint16_t>(self->address_.port));
    } else {
      continue;
    }
    self->candidates_.push_back(address);
  }
  uv_freeaddrinfo(result);
  if (status != 0) return self->Finish(false, "resolve " + self->address_.host + ": " + ErrorText(status));
  if (self->candidates_.empty()) return self->Finish(false, "resolve " + self->address_.host + ": no address");
  if (!self->ConnectNext()) self->Finish(false, self->last_error_);
}

bool NetProbe::ConnectNext() {
  while (next_ < candidates_.size()) {
    const sockaddr_storage& address = candidates_[next_++];
    current_ = AddressText(address);
    socket_.reset();  // the previous attempt's socket, if any
    auto* tcp = new uv_tcp_t;
    int rc = uv_tcp_init(&loop_, tcp);
    if (rc != 0) {
      delete tcp;
      last_error_ = "connect " + current_ + ": " + ErrorText(rc);
      continue;
    }
    socket_.reset(tcp);
    tcp->data = this;
    auto* req = new uv_connect_t;
    req->data = this;
    rc = uv_tcp_connect(req, tcp, reinterpret_cast<const sockaddr*>(&address), &NetProbe::OnConnected);
    if (rc != 0) {
      delete req;
      last_error_ = "connect " + current_ + ": " + ErrorText(rc);
      continue;
    }
    connecting_ = req;
    return true;
  }
  return false;
}

void NetProbe::OnConnected(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<NetProbe*>(req->data);
  delete req;
  if (self == nullptr) return;
  self->connecting_ = nullptr;
  if (status != 0) {
    self->last_error_ = "connect " + self->current_ + ": " + ErrorText(status);
    if (!self->ConnectNext()) self->Finish(false, self->last_error_);
    return;
  }
  if (!self->url_) return self->Finish(true, "connected to " + self->current_);
  self->SendRequest();
}

void NetProbe::SendRequest() {
  auto* stream = reinterpret_cast<uv_stream_t*>(socket_.get());
  auto* write = new WriteRequest{{}, this, HttpRequestText(*url_)};
  write->req.data = write;
  const uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc = uv_write(&write->req, stream, &buf, 1, &NetProbe::OnWritten);
  if (rc != 0) {
    delete write;
    return Finish(false, "send to " + current_ + ": " + ErrorText(rc));
  }
  writing_ = write;
  rc = uv_read_start(stream, &NetProbe::OnAlloc, &NetProbe::OnRead);
  if (rc != 0) Finish(false, "receive from " + current_ + ": " + ErrorText(rc));
}

void NetProbe::OnWritten(uv_write_t* req, int status) noexcept {
  auto* write = static_cast<WriteRequest*>(req->data);
  NetProbe* self = write->owner;
  delete write;
  if (self == nullptr) return;
  self->writing_ = nullptr;
  // A server may answer and close before reading everything: the status line, when it
  // comes, decides; a failed send with nothing read yet is a failure.
  if (status != 0 && self->done_ && self->response_.empty())
    self->Finish(false, "send to " + self->current_ + ": " + ErrorText(status));
}

void NetProbe::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<NetProbe*>(handle->data);
  *buf = self ? uv_buf_init(self->buffer_.data(), self->buffer_.size()) : uv_buf_init(nullptr, 0);
}

void NetProbe::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<NetProbe*>(stream->data);
  if (self == nullptr || !self->done_) return;
  if (nread > 0) {
    self->response_.append(buf->base, static_cast<size_t>(nread));
    return self->OnResponseBytes();
  }
  if (nread == UV_EOF) {
    return self->Finish(false, self->response_.empty() ? "HTTP: connection closed without a reply"
                                                       : "HTTP: connection closed inside the status line");
  }
  if (nread < 0) self->Finish(false, "receive from " + self->current_ + ": " + ErrorText(static_cast<int>(nread)));
}

void NetProbe::OnResponseBytes() {
  const size_t newline = response_.find('\n');
  if (newline == std::string::npos) {
    if (response_.size() > kMaxStatusLine) Finish(false, "HTTP: no status line");
    return;
  }
  std::string line = response_.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto code = ParseHttpStatusLine(line);
  if (!code) {
    if (line.size() > 40) line = line.substr(0, 37) + "...";
    for (char& c : line) if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return Finish(false, "HTTP: bad status line \"" + line + "\"");
  }
  Finish(*code >= 200 && *code < 400, "HTTP " + std::to_string(*code));
}

void NetProbe::Finish(bool passed, std::string detail) {
  if (socket_) uv_read_stop(reinterpret_cast<uv_stream_t*>(socket_.get()));
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(passed, detail);  // last act: may destroy *this
}

}  // namespace sup::daemon
