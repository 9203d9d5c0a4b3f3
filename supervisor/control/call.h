// The seam between the control-socket server (which frames, authenticates and limits) and
// the code that executes commands (the Supervisor). One Call is one request in flight.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sup::daemon::control {

// Who sent a request, from SO_PEERCRED at accept time.
struct Peer {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  bool privileged = false;  // root, supd's uid, allow_users or allow_groups
};

// A request in flight. The server owns the connection; a Call may outlive it (the client went
// away or cancelled): then open() is false, every send is dropped, and the cancel hook has run.
// All methods are called on the loop thread only.
class Call {
 public:
  virtual ~Call() = default;
  virtual const Peer& peer() const = 0;

  // Single-reply requests: {"id":…,"ok":true,"result":RESULT}. Ends the call.
  virtual void Succeed(nlohmann::json result) = 0;
  // The same with RESULT already written as JSON text (protocol::JsonWriter).
  virtual void SucceedText(std::string result_json) = 0;
  // {"id":…,"ok":false,"error":{"code":CODE,"message":MESSAGE, …extra}}. Ends the call.
  // `code` is one of SPEC §6's closed set (protocol/errors.h).
  virtual void Fail(std::string_view code, std::string message, nlohmann::json extra = {}) = 0;
  // Streams: any number of {"id":…,"ok":true,"result":ITEM} lines, then End() sends
  // {"id":…,"ok":true,"end":true}.
  virtual void Emit(nlohmann::json item) = 0;
  virtual void End() = 0;

  // The answer comes later but by itself, soon (`status` reads what the instances use off the
  // loop): the connection handles no further request of this client until this call ends, so
  // a client that pipelines gets its replies in order and is paced rather than told `busy`.
  virtual void HoldNext() {}

  // False once the call ended, was cancelled, or its connection closed.
  virtual bool open() const = 0;
  // Runs once if the call is cancelled or its connection closes before it ended. Holders
  // of long-lived calls (events, waits, logs -f) use it to drop their reference.
  virtual void OnCancel(std::function<void()> fn) = 0;
};

// Implemented by Commands (core/commands.h). The server has already checked the peer's permission for
// `cmd` and answered unknown commands and malformed requests itself.
class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  virtual void Handle(const std::string& cmd, const nlohmann::json& args,
                      std::shared_ptr<Call> call) = 0;
};

}  // namespace sup::daemon::control
