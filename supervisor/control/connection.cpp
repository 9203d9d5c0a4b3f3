#include "control/connection.h"

#include <poll.h>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <string_view>
#include <utility>

#include "control/call_impl.h"
#include "control/verbs.h"
#include "control/control_server.h"
#include "protocol/errors.h"

namespace sup::daemon::control {
namespace {

using nlohmann::json;
namespace code = protocol::code;

// One uv_write in flight; owns its chunks until libuv is done with them, which may be after
// the connection is gone (a close cancels it).
struct WriteRequest {
  uv_write_t req;
  std::unique_ptr<OutputBatch> batch;
};

bool IsRefusal(std::string_view error_code) {
  return error_code == code::kPermissionDenied || error_code == code::kBusy ||
         error_code == code::kBadRequest;
}

}  // namespace

Connection::Connection(ControlServer& server, UvHandle<uv_pipe_t> pipe, Peer peer,
                       std::vector<gid_t> groups)
    : server_(server),
      pipe_(std::move(pipe)),
      peer_(peer),
      groups_(std::move(groups)),
      framer_(server.options().max_line),
      output_(server.budget()) {
  pipe_->data = this;
}

Connection::~Connection() { Close(); }

bool Connection::Begin() {
  auto* timer = new uv_timer_t;
  if (uv_timer_init(&server_.loop(), timer) != 0) {
    delete timer;
    Close();
    return false;
  }
  idle_.reset(timer);
  idle_->data = this;
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_.get()), OnAlloc, OnRead);
  if (rc != 0) {
    spdlog::warn("control: cannot read from client pid {}: {}", peer_.pid, uv_strerror(rc));
    Close();
    return false;
  }
  UpdateIdleTimer();
  return true;
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  server_.Retire(this);  // first: a cancel hook may call ControlServer::Close()
  DetachCalls();
  idle_.reset();
  pipe_.reset();  // a batch being written completes with UV_ECANCELED; OnWritten frees it
  output_.Clear();
  std::string().swap(unread_);
}

void Connection::DetachCalls() {
  // Every call is detached before any hook runs, and each is held alive while the hooks
  // run: a hook may drop the last reference to another call of this connection.
  std::vector<std::shared_ptr<CallImpl>> calls;
  for (auto& [key, weak] : calls_) {
    if (auto call = weak.lock()) calls.push_back(std::move(call));
  }
  calls_.clear();
  for (auto& call : calls) call->Detach();
  for (auto& call : calls) call->RunCancelHook();
}

void Connection::Finish(const std::string& key, std::string last_line) {
  // Forgotten first: a Write that drops a slow client must not count this call as cancelled.
  calls_.erase(key);
  // A call's last line is its reply even when it comes after the request was handled (a
  // `status` read off the loop, a `wait`): bounded by the request, not stream output.
  Queue(std::move(last_line), true);
  if (key == held_by_) {
    held_by_.clear();
    // The requests it held are handled on the next turn, not inside the handler's callback.
    if (reading_paused_ && !closed_ && !draining_) server_.Defer(this);
  }
  AfterCallEnded();
}

void Connection::AfterCallEnded() {
  if (closed_ || draining_) return;
  if (half_closed_ && calls_.empty() && unread_.empty()) {
    CloseAfterFlush();
  } else {
    UpdateIdleTimer();
  }
}

void Connection::RefreshPrivilege() {
  peer_.privileged = server_.IsPrivileged(peer_.uid, peer_.gid, groups_);
}

void Connection::UpdateIdleTimer() {
  if (closed_ || !idle_) return;
  const auto timeout = static_cast<uint64_t>(server_.options().idle_timeout.count());
  if (calls_.empty() || draining_) {
    uv_timer_start(idle_.get(), OnIdle, timeout, 0);  // restarts: idle counts from now
  } else {
    uv_timer_stop(idle_.get());
  }
}

void Connection::OnIdle(uv_timer_t* timer) noexcept {
  auto* self = static_cast<Connection*>(timer->data);
  if (self == nullptr) return;
  self->server_.Sweep();
  spdlog::debug("control: closing idle client pid {}", self->peer_.pid);
  self->Close();
}

void Connection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Connection*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->server_.read_buffer(),
                     static_cast<unsigned>(self->server_.read_buffer_size()));
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<Connection*>(stream->data);
  if (self == nullptr) return;
  self->server_.Sweep();
  if (nread == UV_EOF) {
    self->PeerEof();
    return;
  }
  if (nread < 0) {
    spdlog::debug("control: read from pid {}: {}", self->peer_.pid, uv_strerror(static_cast<int>(nread)));
    self->Close();
    return;
  }
  if (nread == 0) return;
  try {
    self->Received(std::string_view(buf->base, static_cast<size_t>(nread)));
  } catch (const std::exception& e) {
    spdlog::error("control: client pid {}: {}", self->peer_.pid, e.what());
    self->Close();
  }
}

void Connection::PeerEof() {
  // A full close (POLLHUP: both directions are shut) ends every call at once; a half-close
  // only ends the requests: every reply to those already sent is still written, in full.
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(pipe_.get()), &fd);
  pollfd pfd{fd, 0, 0};
  const bool hung_up = ::poll(&pfd, 1, 0) < 0 || (pfd.revents & (POLLHUP | POLLERR)) != 0;
  if (hung_up) {
    Close();
    return;
  }
  half_closed_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe_.get()));
  if (calls_.empty()) CloseAfterFlush();
}

void Connection::Received(std::string_view bytes) {
  // Line by line, so that handling can stop between two requests of one read: when the
  // output piles up, or when this loop iteration has spent its time on requests (the rest
  // is handled on a later iteration, so that other clients and timers get in between).
  dispatching_ = true;
  while (!bytes.empty() && !closed_ && !draining_) {
    if (OutputFull() || server_.TurnOver() || !held_by_.empty()) {
      unread_.assign(bytes);
      break;
    }
    const auto nl = bytes.find('\n');
    const std::size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
    for (auto& item : framer_.Feed(bytes.substr(0, take))) {
      if (closed_ || draining_) break;
      if (item.oversize) {
        Refuse(nullptr, code::kBadRequest,
               "request line longer than " + std::to_string(server_.options().max_line) + " bytes");
        CloseAfterFlush();
        break;
      }
      HandleLine(item.line);
      server_.RequestHandled();
    }
    bytes.remove_prefix(take);
  }
  dispatching_ = false;
  if (closed_ || draining_) return;
  if (!unread_.empty() || OutputFull()) PauseReading();
  // Written() resumes a client paused by its output; one paused by the budget waits its turn.
  if (!unread_.empty() && !OutputFull() && held_by_.empty()) server_.Defer(this);
  UpdateIdleTimer();
}

bool Connection::OutputFull() const {
  return output_.held() > server_.options().pause_reading_above;
}

void Connection::PauseReading() {
  if (reading_paused_) return;
  reading_paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe_.get()));
}

void Connection::Continue() {
  try {
    ResumeReading();
  } catch (const std::exception& e) {
    spdlog::error("control: client pid {}: {}", peer_.pid, e.what());
    Close();
  }
}

void Connection::ResumeReading() {
  if (!reading_paused_ || OutputFull() || closed_ || draining_ || !held_by_.empty()) return;
  if (!unread_.empty()) {
    const std::string rest = std::exchange(unread_, {});
    Received(rest);  // pauses again, with what it could not handle now in unread_
    if (!unread_.empty() || OutputFull() || closed_ || draining_) return;
  }
  reading_paused_ = false;
  if (half_closed_) return;
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_.get()), OnAlloc, OnRead);
  if (rc != 0) {
    spdlog::debug("control: read from pid {}: {}", peer_.pid, uv_strerror(rc));
    Close();
  }
}

void Connection::HandleLine(const std::string& line) {
  if (line.find_first_not_of(" \t") == std::string::npos) return;  // blank lines (socat, telnet)
  auto decoded = protocol::DecodeRequest(line);
  if (auto* error = std::get_if<protocol::RequestError>(&decoded)) {
    Refuse(error->id, error->code, error->message);
    return;
  }
  Dispatch(std::move(std::get<protocol::Request>(decoded)));
}

void Connection::Refuse(const json& id, std::string_view error_code, const std::string& message) {
  if (IsRefusal(error_code)) {
    server_.refusals().Warn(peer_.uid, fmt::format("control: refused a request ({}) from uid {} pid {}: {}",
                                                   error_code, peer_.uid, peer_.pid, message));
  }
  Write(protocol::EncodeError(id, error_code, message));
}

void Connection::Dispatch(protocol::Request request) {
  const std::string& cmd = request.cmd;
  if (cmd == "version") {
    Write(protocol::EncodeResult(
        request.id, json{{"version", SUP_VERSION}, {"protocol", protocol::kProtocolVersion}}));
    return;
  }
  if (!IsKnownCommand(cmd)) {
    Refuse(request.id, code::kUnknownCommand, "unknown command '" + cmd + "'");
    return;
  }
  if (!IsReadOnlyCommand(cmd) && !peer_.privileged) {
    // Logged here with the command, not by Refuse: the line operators grep for.
    server_.refusals().Warn(peer_.uid, fmt::format("control: permission denied: '{}' from uid {} pid {}",
                                                   cmd, peer_.uid, peer_.pid));
    Write(protocol::EncodeError(request.id, code::kPermissionDenied,
                                "permission denied: '" + cmd +
                                    "' needs root, supd's user, or a user in allow_users/allow_groups"));
    return;
  }
  if (cmd == "cancel") {
    Cancel(request);
    return;
  }
  if (calls_.size() >= server_.options().max_calls_per_client) {
    Refuse(request.id, code::kBusy,
           "too many requests in flight on this connection (" +
               std::to_string(server_.options().max_calls_per_client) + ")");
    return;
  }
  std::string key = protocol::IdKey(request.id);
  if (calls_.count(key) != 0) {
    Refuse(request.id, code::kBadRequest,
           "id " + key + " is already in use by a request in flight on this connection");
    return;
  }
  auto call = std::make_shared<CallImpl>(this, request.id, key, peer_);
  calls_.emplace(std::move(key), call);
  UpdateIdleTimer();
  try {
    server_.handler().Handle(cmd, request.args, call);
  } catch (const std::exception& e) {
    // A handler bug must not take the loop down; the client gets a reason.
    spdlog::error("control: '{}' failed: {}", cmd, e.what());
    call->Fail(code::kFailed, std::string("internal error: ") + e.what());
  }
}

void Connection::Cancel(const protocol::Request& request) {
  const auto it = request.args.find("id");
  if (it == request.args.end() || !(it->is_number_integer() || it->is_string())) {
    Refuse(request.id, code::kBadRequest, "cancel needs args.id (an integer or a string)");
    return;
  }
  // Cancelling an id that already ended (or never existed) is not an error: the client
  // cannot know whether the stream's end crossed its cancel on the wire.
  const auto found = calls_.find(protocol::IdKey(*it));
  if (found != calls_.end()) {
    std::shared_ptr<CallImpl> call = found->second.lock();
    calls_.erase(found);
    if (call) {
      call->Detach();
      Write(protocol::EncodeEnd(call->id()));
      call->RunCancelHook();
    }
  }
  Write(protocol::EncodeResult(request.id, json::object()));
  AfterCallEnded();
}

void Connection::Write(std::string line) { Queue(std::move(line), dispatching_); }

void Connection::Queue(std::string line, bool reply) {
  if (closed_ || draining_) return;
  if (output_.empty()) waiting_since_ = uv_now(&server_.loop());
  output_.Append(std::move(line), reply);
  const auto& options = server_.options();
  if (output_.stream_held() > options.max_pending_output) {
    spdlog::warn("control: dropping client uid {} pid {}: {} bytes of stream output unread (bound {})",
                 peer_.uid, peer_.pid, output_.stream_held(), options.max_pending_output);
    Close();
    return;
  }
  if (server_.budget()->held() > options.max_total_output) {
    server_.EnforceTotalOutput();
    if (closed_) return;
  }
  Flush();
}

void Connection::Flush() {
  if (writing_ || closed_) return;
  auto batch = output_.Take();
  if (!batch) return;
  uv_buf_t bufs[OutputQueue::kMaxBatch];
  unsigned n = 0;
  for (auto& chunk : batch->chunks()) {
    bufs[n++] = uv_buf_init(chunk.data.data(), static_cast<unsigned>(chunk.data.size()));
  }
  auto* write = new WriteRequest{{}, std::move(batch)};
  write->req.data = write;
  const int rc = uv_write(&write->req, reinterpret_cast<uv_stream_t*>(pipe_.get()), bufs, n, OnWritten);
  if (rc != 0) {
    output_.Returned(*write->batch);
    delete write;
    spdlog::debug("control: write to pid {}: {}", peer_.pid, uv_strerror(rc));
    Close();
    return;
  }
  writing_ = true;
}

void Connection::OnWritten(uv_write_t* req, int status) noexcept {
  std::unique_ptr<WriteRequest> write(static_cast<WriteRequest*>(req->data));
  auto* self = static_cast<Connection*>(req->handle->data);
  if (self == nullptr) return;  // closed: the batch is freed here, its budget given back
  self->output_.Returned(*write->batch);
  write.reset();
  self->Written(status);
}

void Connection::Written(int status) {
  writing_ = false;
  if (status != 0) {
    if (status != UV_ECANCELED) spdlog::debug("control: write to pid {}: {}", peer_.pid, uv_strerror(status));
    Close();
    return;
  }
  waiting_since_ = uv_now(&server_.loop());  // progress: this client reads
  Flush();
  // A client that reads is not idle, even with nothing in flight (a long reply).
  if (calls_.empty() || draining_) UpdateIdleTimer();
  try {
    ResumeReading();
  } catch (const std::exception& e) {
    spdlog::error("control: client pid {}: {}", peer_.pid, e.what());
    Close();
  }
  ShutdownWhenFlushed();
}

void Connection::CloseAfterFlush() {
  draining_ = true;
  DetachCalls();
  if (closed_) return;  // a cancel hook closed the server, and this connection with it
  uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe_.get()));
  unread_.clear();
  UpdateIdleTimer();  // bounds the flush if the client never reads
  ShutdownWhenFlushed();
}

void Connection::ShutdownWhenFlushed() {
  // uv_shutdown waits for libuv's own queue only; ours must be empty first.
  if (!draining_ || closed_ || shutdown_sent_ || !output_.empty()) return;
  shutdown_sent_ = true;
  auto* req = new uv_shutdown_t;
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(pipe_.get()), OnShutdown) != 0) {
    delete req;
    Close();
  }
}

void Connection::OnShutdown(uv_shutdown_t* req, int) noexcept {
  auto* self = static_cast<Connection*>(req->handle->data);
  delete req;
  if (self != nullptr) self->Close();
}

}  // namespace sup::daemon::control
