// The server's Call: one request in flight on a Connection. The handler holds it by
// shared_ptr and may keep it after the connection closed, when every method is a no-op.
// Loop thread only.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "control/call.h"

namespace sup::daemon::control {

class Connection;

class CallImpl final : public Call {
 public:
  // `connection` must stay alive until Detach() or the call ends, whichever comes first.
  CallImpl(Connection* connection, nlohmann::json id, std::string key, Peer peer);
  ~CallImpl() override;

  const Peer& peer() const override { return peer_; }
  void Succeed(nlohmann::json result) override;
  void SucceedText(std::string result_json) override;
  void Fail(std::string_view code, std::string message, nlohmann::json extra = {}) override;
  void Emit(nlohmann::json item) override;
  void End() override;
  bool open() const override { return connection_ != nullptr; }
  void HoldNext() override;
  void OnCancel(std::function<void()> fn) override;

  // The connection closes or the client cancelled: no more writes. Call RunCancelHook()
  // afterwards (separately, so that every call is detached before any hook runs).
  void Detach();
  void RunCancelHook();

  const nlohmann::json& id() const { return id_; }

 private:
  void Finish(std::string line);

  Connection* connection_;  // null once ended or detached
  nlohmann::json id_;
  std::string key_;
  Peer peer_;
  std::function<void()> cancel_hook_;
  bool cancelled_ = false;  // detached before it ended
  bool hook_ran_ = false;
};

}  // namespace sup::daemon::control
