#include "control/call_impl.h"

#include <utility>

#include "control/connection.h"
#include "protocol/errors.h"
#include "protocol/message.h"

namespace sup::daemon::control {

CallImpl::CallImpl(Connection* connection, nlohmann::json id, std::string key, Peer peer)
    : connection_(connection), id_(std::move(id)), key_(std::move(key)), peer_(peer) {}

CallImpl::~CallImpl() {
  // The handler let go of a request it never answered: tell the client rather than leave
  // it waiting forever.
  if (connection_ != nullptr) {
    Connection* connection = std::exchange(connection_, nullptr);
    connection->Finish(key_, protocol::EncodeError(id_, protocol::code::kFailed,
                                                   "supd dropped the request without an answer"));
  }
}

void CallImpl::Finish(std::string line) {
  if (connection_ == nullptr) return;
  Connection* connection = std::exchange(connection_, nullptr);
  connection->Finish(key_, std::move(line));
}

void CallImpl::Succeed(nlohmann::json result) { Finish(protocol::EncodeResult(id_, result)); }

void CallImpl::SucceedText(std::string result_json) {
  Finish(protocol::EncodeResultText(id_, result_json));
}

void CallImpl::Fail(std::string_view code, std::string message, nlohmann::json extra) {
  Finish(protocol::EncodeError(id_, code, message, extra));
}

void CallImpl::Emit(nlohmann::json item) {
  if (connection_ != nullptr) connection_->Write(protocol::EncodeResult(id_, item));
}

void CallImpl::End() { Finish(protocol::EncodeEnd(id_)); }

void CallImpl::HoldNext() {
  if (connection_ != nullptr) connection_->Hold(key_);
}

void CallImpl::OnCancel(std::function<void()> fn) {
  if (!cancelled_) {
    cancel_hook_ = std::move(fn);
    return;
  }
  // Registered after the call was cancelled: a hook that could never run otherwise runs now.
  if (fn) fn();
}

void CallImpl::Detach() {
  if (connection_ == nullptr) return;
  connection_ = nullptr;
  cancelled_ = true;
}

void CallImpl::RunCancelHook() {
  if (!cancelled_ || hook_ran_ || !cancel_hook_) return;
  hook_ran_ = true;
  // Moved out first: the hook may release the last reference to this call.
  auto hook = std::move(cancel_hook_);
  cancel_hook_ = nullptr;
  hook();
}

}  // namespace sup::daemon::control
