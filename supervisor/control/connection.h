// One accepted client of the control socket: reads and frames its requests, keeps its calls
// in flight by id, writes their replies through a bounded OutputQueue, stops reading requests
// while its replies pile up (SPEC §9.1), and closes itself when idle, oversize, stuck or gone.
// Owned by ControlServer; loop thread only.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/call.h"
#include "control/output_queue.h"
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

  // Queues one line. A line written while one of this client's requests is being handled
  // is a reply; any other is stream output, and drops the client (Close) when the stream
  // output it holds is over max_pending_output.
  void Write(std::string line);

  // A call ended (Succeed/Fail/End, or destroyed unanswered): forget it, write its last
  // line, then arm the idle timer or, after a half-close, close once nothing is in flight.
  void Finish(const std::string& key, std::string last_line);

  // Handles no further request until the call `key` ends (Call::HoldNext).
  void Hold(const std::string& key) { held_by_ = key; }

  // Its turn came (ControlServer::Defer): handles the requests left from earlier reads
  // while the turn lasts, then reads again once none is left.
  void Continue();

  void RefreshPrivilege();
  const Peer& peer() const { return peer_; }
  bool closed() const { return closed_; }
  std::size_t output_held() const { return output_.held(); }
  // Loop time (ms) since which the oldest output of this client waits to be written.
  uint64_t output_waiting_since() const { return waiting_since_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void OnWritten(uv_write_t* req, int status) noexcept;
  static void OnShutdown(uv_shutdown_t* req, int status) noexcept;
  static void OnIdle(uv_timer_t* timer) noexcept;

  // Write with `reply` saying whether `line` counts as a reply or as stream output.
  void Queue(std::string line, bool reply);
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
  // Hands the next queued chunks to libuv when nothing is being written.
  void Flush();
  void Written(int status);
  bool OutputFull() const;
  void PauseReading();
  // Output fell back under the bound, or the client's turn came: handles the requests left
  // unread, then reads again.
  void ResumeReading();
  void ShutdownWhenFlushed();

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
  OutputQueue output_;
  bool writing_ = false;         // a batch of output_ is with libuv
  uint64_t waiting_since_ = 0;   // see output_waiting_since()
  bool dispatching_ = false;     // handling this client's requests: writes are replies
  // Output over pause_reading_above, or the loop iteration's turn_budget spent: requests
  // stay unread.
  bool reading_paused_ = false;
  std::string unread_;           // bytes read but not yet handled when reading paused
  std::string held_by_;          // the call whose answer the next requests wait for (HoldNext)
  bool shutdown_sent_ = false;
};

}  // namespace sup::daemon::control
