// One accepted client of the control socket: reads and frames its requests, keeps its calls
// in flight by id, writes their replies with a bound on unsent bytes, and closes itself when
// idle, oversize, too slow or gone. Owned by ControlServer; loop thread only.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/call.h"
#include "loop/uv_handle.h"
#include "protocol/line_framer.h"
#include "protocol/message.h"

namespace sup::daemon::control {

class CallImpl;
class ControlServer;

class Connection {
 public:
  // `server` must outlive the connection; `pipe` is accepted already.
  Connection(ControlServer& server, UvHandle<uv_pipe_t> pipe, Peer peer, std::vector<gid_t> groups);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Starts reading and the idle timer. False (and the connection closed) on failure.
  bool Begin();

  // Detaches every call in flight (each runs its cancel hook once), closes the handles and
  // hands itself to ControlServer::Retire. Callers must not use the connection afterwards
  // except to return. Idempotent.
  void Close();

  // Queues one reply line. Drops the client (Close) when its unread backlog is over the bound.
  void Write(std::string line);

  // A call ended (Succeed/Fail/End, or destroyed unanswered): forget it, write its last
  // line, then arm the idle timer or, after a half-close, close once nothing is in flight.
  void Finish(const std::string& key, std::string last_line);

  void RefreshPrivilege();
  const Peer& peer() const { return peer_; }
  bool closed() const { return closed_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void OnWritten(uv_write_t* req, int status) noexcept;
  static void OnShutdown(uv_shutdown_t* req, int status) noexcept;
  static void OnIdle(uv_timer_t* timer) noexcept;

  void Received(std::string_view bytes);
  void PeerEof();
  void AfterCallEnded();
  void HandleLine(const std::string& line);
  void Dispatch(protocol::Request request);
  void Cancel(const protocol::Request& request);
  void Refuse(const nlohmann::json& id, std::string_view code, const std::string& message);
  void UpdateIdleTimer();
  void DetachCalls();
  void CloseAfterFlush();

  ControlServer& server_;
  UvHandle<uv_pipe_t> pipe_;
  UvHandle<uv_timer_t> idle_;
  Peer peer_;
  std::vector<gid_t> groups_;  // supplementary groups (SO_PEERGROUPS), for allow_groups
  protocol::LineFramer framer_;
  // Calls in flight, by IdKey. Weak: the handler owns its calls; a call it drops unanswered
  // fails itself from its destructor.
  std::map<std::string, std::weak_ptr<CallImpl>> calls_;
  bool closed_ = false;
  bool draining_ = false;  // an error line is being flushed before the close
  // The client shut down its writing side only (`socat` after its stdin ends): no more
  // requests, but the answers to those in flight are still wanted. A full close that follows
  // is noticed at the next write (EPIPE), since nothing is read any more.
  bool half_closed_ = false;
};

}  // namespace sup::daemon::control
