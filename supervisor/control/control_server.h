// The control socket (SPEC §6): listens on a Unix stream socket, frames requests, decides
// each peer's privilege from SO_PEERCRED, enforces the limits, answers version, cancel and
// malformed requests itself, and hands every other request to a CommandHandler as a Call.
// Loop thread only. Connections and their calls live in connection.{h,cpp}.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/call.h"
#include "control/output_queue.h"
#include "control/refusal_log.h"
#include "loop/uv_handle.h"
#include "protocol/errors.h"
#include "sup/base/result.h"

namespace sup::daemon::control {

class Connection;

struct ServerOptions {
  std::string path;                        // the socket, e.g. /run/sup/sup.sock
  mode_t mode = 0600;                      // socket_mode
  std::string group;                       // socket_group; "" leaves supd's group
  std::vector<std::string> allow_users;    // names or numeric uids
  std::vector<std::string> allow_groups;   // names or numeric gids
  // Limits of SPEC §6; tests shrink them.
  std::size_t max_clients = 256;
  // Places among max_clients that only privileged peers may take: an unprivileged user who
  // can connect (socket_mode) must never lock root out of its own supd.
  std::size_t privileged_reserve = 16;
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_line = protocol::kMaxRequestLine;
  // Output bounds (SPEC §9.1 Connections), in bytes of memory really held (OutputQueue):
  // stream output one connection may hold before it is dropped; queued output above which
  // its requests are not read until it has read its replies; all connections together.
  std::size_t max_pending_output = 4u << 20;
  std::size_t pause_reading_above = 1u << 20;
  std::size_t max_total_output = 64u << 20;
  // Requests in flight on one connection (streams, waits). Each holds memory in supd and
  // any peer may open them (events, wait are read-only): past this, `busy` for that id.
  std::size_t max_calls_per_client = 256;
  // Time one loop iteration spends on requests (SPEC §9.1: no request holds the loop):
  // the requests of a read left over when it is spent are handled on the next iterations,
  // with other clients and timers in between. 0 = one request per client and iteration.
  std::chrono::milliseconds turn_budget{5};
};

// `handler` must outlive the server. Start() before running the loop; the destructor (or
// Close()) closes every connection — open calls become no-ops and run their cancel
// hooks — stops listening and unlinks the socket; run the loop once more afterwards so
// that libuv can finish closing the handles. Close() may be called from a handler; the
// destructor must not run inside one of the server's own callbacks.
class ControlServer {
 public:
  ControlServer(uv_loop_t& loop, ServerOptions options, CommandHandler& handler);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();

  // Checks/creates the socket directory, refuses a path another supd serves ("another supd
  // (pid N) serves PATH", ErrorCode::kBusy), removes a stale socket, binds, applies mode
  // and group, listens. Any other failure leaves nothing behind.
  Result<void> Start();
  // Start() in two steps, for a caller that must set up something beside the socket once
  // it owns the path but before a client can connect: Bind() does all but listen (connects
  // are refused until then), Listen() opens the door.
  Result<void> Bind();
  Result<void> Listen();

  // Replaces allow_users/allow_groups (reload). Unknown names fail and change nothing.
  // Applies to connected peers too, from their next request.
  Result<void> SetAccess(const std::vector<std::string>& users,
                         const std::vector<std::string>& groups);

  // Stops listening, closes every connection, unlinks the socket (only if it is still the
  // one this server bound). Idempotent.
  void Close();

  std::size_t clients() const { return connections_.size(); }
  const std::string& path() const { return options_.path; }

  // Used by Connection: the decisions and shared state a connection needs.
  bool IsPrivileged(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) const;
  const ServerOptions& options() const { return options_; }
  CommandHandler& handler() { return handler_; }
  uv_loop_t& loop() { return loop_; }
  // Moves a connection that closed itself out of the live set. Sweep() frees retired ones;
  // it runs at the top of each of the server's libuv callbacks, where none is on the stack.
  void Retire(Connection* connection);
  void Sweep();
  // Output held by all connections together.
  const std::shared_ptr<OutputBudget>& budget() const { return budget_; }
  // Over max_total_output: drops the clients whose output has waited longest (stuck
  // readers), until what is left fits. May close the caller's own connection.
  void EnforceTotalOutput();
  RefusalLog& refusals() { return refusals_; }
  // Whether this loop iteration has spent its turn_budget on requests. The first request
  // handled in a continuation turn (Continue) is always allowed, so every client progresses.
  bool TurnOver() const;
  void RequestHandled() { must_progress_ = false; }
  // The connection has requests left from a read: Connection::Continue() runs on a later
  // iteration (an idle handle, active only while some client has work left).
  void Defer(Connection* connection);
  // Read buffer shared by every connection: libuv calls read_cb right after alloc_cb.
  char* read_buffer() { return read_buffer_.data(); }
  std::size_t read_buffer_size() const { return read_buffer_.size(); }

 private:
  static void OnConnection(uv_stream_t* server, int status) noexcept;
  static void OnTurn(uv_idle_t* idle) noexcept;
  void ContinueDeferred();
  void Accept();
  // False (and the client told busy and closed) when it may not take a place.
  bool Admit(uv_pipe_t* pipe, const Peer& peer);
  Result<void> PrepareDirectory();
  Result<void> ClearStaleSocket();

  uv_loop_t& loop_;
  ServerOptions options_;
  CommandHandler& handler_;
  UvHandle<uv_pipe_t> listener_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> retired_;  // closed; freed outside their callbacks
  std::vector<Connection*> deferred_;  // clients with requests left, in the order they wait
  UvHandle<uv_idle_t> turn_;           // runs ContinueDeferred while deferred_ is not empty
  bool must_progress_ = false;
  std::set<uid_t> allow_uids_;
  std::set<gid_t> allow_gids_;
  std::set<uid_t> group_member_uids_;  // listed members of allow_groups (gr_mem)
  dev_t socket_dev_ = 0;               // identity of the socket we bound, for the unlink
  ino_t socket_ino_ = 0;
  bool bound_ = false;
  std::shared_ptr<OutputBudget> budget_ = std::make_shared<OutputBudget>();
  RefusalLog refusals_;
  std::vector<char> read_buffer_ = std::vector<char>(64 * 1024);
};

}  // namespace sup::daemon::control
