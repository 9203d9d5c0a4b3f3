#include "http/http_connection.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <utility>

#include "http/http_server.h"

namespace sup::daemon::http {
namespace {

// One uv_write in flight; owns the bytes until libuv is done with them.
struct WriteRequest {
  uv_write_t req;
  std::string data;
};

uv_stream_t* Stream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

}  // namespace

Connection::Connection(HttpServer& server, UvHandle<uv_tcp_t> tcp)
    : server_(server),
      tcp_(std::move(tcp)),
      deadline_(server.loop()),
      parser_(server.options().limits) {
  tcp_->data = this;
}

Connection::~Connection() { Close(); }

void Connection::Begin() {
  const int rc = uv_read_start(Stream(tcp_.get()), &Connection::OnAlloc, &Connection::OnRead);
  if (rc != 0) {
    spdlog::debug("http: read: {}", uv_strerror(rc));
    Close();
    return;
  }
  deadline_.Start(server_.options().request_timeout, [this] {
    spdlog::debug("http: closing a client that sent no complete request in time");
    Close();
  });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  deadline_.Stop();
  tcp_.reset();  // a pending write or shutdown completes with UV_ECANCELED and frees itself
  server_.Retire(this);
}

void Connection::OnAlloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Connection*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->server_.read_buffer(), static_cast<unsigned>(self->server_.read_buffer_size()));
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<Connection*>(stream->data);
  if (self == nullptr) return;
  self->server_.Sweep();
  if (nread == UV_EOF) {
    self->PeerClosed();
  } else if (nread < 0) {
    self->Close();
  } else if (nread > 0) {
    try {
      self->Received(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    } catch (const std::exception& e) {  // allocation failure: drop this client, keep the loop
      spdlog::error("http: {}", e.what());
      self->Close();
    }
  }
}

void Connection::Received(std::string_view bytes) {
  if (phase_ != Phase::kReading) {
    discarded_ += bytes.size();
    if (discarded_ > server_.options().max_discard) Close();
    return;
  }
  switch (parser_.Feed(bytes)) {
    case RequestParser::Outcome::kNeedMore:
      return;
    case RequestParser::Outcome::kError:
      spdlog::debug("http: bad request: {} {}", parser_.error_status(), parser_.error_detail());
      Answer(ErrorResponse(parser_.error_status(), parser_.error_detail()), false);
      return;
    case RequestParser::Outcome::kComplete: {
      const Request& request = parser_.request();
      const bool head = request.method == "HEAD";
      Response response = server_.Answer(request);
      if (!response.later) return Answer(response, head);
      // Read off the loop: nothing more is read as a request meanwhile, and a connection
      // closed before the answer is ready drops it.
      phase_ = Phase::kWaiting;
      response.later([this, alive = std::weak_ptr<int>(alive_), head](Response ready) {
        if (!alive.expired() && !closed_) Answer(ready, head);
      });
      return;
    }
  }
}

void Connection::PeerClosed() {
  peer_closed_ = true;
  if (phase_ == Phase::kReading && parser_.Finish() == RequestParser::Outcome::kError) {
    // A half-close after part of a head: the client may still read the 400.
    Answer(ErrorResponse(parser_.error_status(), parser_.error_detail()), false);
    return;
  }
  if (phase_ != Phase::kAnswering && phase_ != Phase::kWaiting) Close();
}

void Connection::Answer(const Response& response, bool head) {
  phase_ = Phase::kAnswering;
  deadline_.Start(server_.options().linger + server_.options().request_timeout, [this] { Close(); });
  auto write = std::make_unique<WriteRequest>();
  write->data = Serialize(response, head);
  uv_buf_t buf = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
  const int rc = uv_write(&write->req, Stream(tcp_.get()), &buf, 1, &Connection::OnWritten);
  if (rc != 0) {
    spdlog::debug("http: write: {}", uv_strerror(rc));
    Close();
    return;
  }
  write.release();  // OnWritten frees it
}

void Connection::OnWritten(uv_write_t* req, int status) noexcept {
  std::unique_ptr<WriteRequest> write(reinterpret_cast<WriteRequest*>(req));
  auto* self = static_cast<Connection*>(req->handle->data);
  if (self == nullptr) return;
  self->server_.Sweep();
  self->Written(status);
}

void Connection::Written(int status) {
  if (status < 0) {
    Close();
    return;
  }
  auto* req = new uv_shutdown_t;
  if (uv_shutdown(req, Stream(tcp_.get()), &Connection::OnShutdown) != 0) {
    delete req;
    Close();
  }
}

void Connection::OnShutdown(uv_shutdown_t* req, int status) noexcept {
  auto* self = static_cast<Connection*>(req->handle->data);
  delete req;
  if (self == nullptr) return;
  self->server_.Sweep();
  self->ShutDown(status);
}

void Connection::ShutDown(int status) {
  if (status < 0 || peer_closed_) {
    Close();
    return;
  }
  // The answer is out; wait (bounded) for the client to close its side.
  phase_ = Phase::kLingering;
  deadline_.Start(server_.options().linger, [this] { Close(); });
}

}  // namespace sup::daemon::http
