#include "ctl/session.h"

#include <cstring>
#include <ostream>

#include "ctl/exit_codes.h"

namespace sup::ctl {

using nlohmann::json;

int ReportConnectError(const Error& error, const std::string& socket, std::ostream& err) {
  const std::string reason = error.sys > 0 ? std::strerror(error.sys) : error.context;
  if (error.code == ErrorCode::kPermission) {
    err << "supctl: permission denied connecting to supd at " << socket << ": " << reason << "\n";
    return kExitPermission;
  }
  err << "supctl: supd is not reachable at " << socket << ": " << reason;
  if (error.sys == ENOENT || error.sys == ECONNREFUSED) err << " (is supd running? -s or $SUP_SOCKET pick another socket)";
  err << "\n";
  return kExitUnreachable;
}

std::variant<Session, int> Session::Open(const std::string& socket, std::ostream& err) {
  auto client = protocol::Client::Connect(socket);
  if (!client) return ReportConnectError(client.error(), socket, err);
  return Session(std::move(*client), socket, err);
}

Session::Session(protocol::Client client, std::string socket, std::ostream& err)
    : client_(std::move(client)), socket_(std::move(socket)), err_(&err) {}

int Session::TransportError(const Error& error) {
  *err_ << "supctl: lost supd at " << socket_ << ": " << error.Message() << "\n";
  return kExitUnreachable;
}

int Session::ErrorReply(const protocol::Reply& reply) {
  *err_ << "supctl: " << reply.error_message << "\n";
  const auto errors = reply.error.find("errors");
  if (errors != reply.error.end() && errors->is_array()) {
    for (const auto& e : *errors) *err_ << (e.is_string() ? e.get<std::string>() : e.dump()) << "\n";
  }
  return ExitForError(reply.error_code);
}

std::variant<json, int> Session::Call(const WireRequest& request) {
  auto reply = client_.Call(request.cmd, request.args);
  if (!reply) return TransportError(reply.error());
  if (!reply->ok) return ErrorReply(*reply);
  return std::move(reply->result);
}

std::variant<std::string, int> Session::CallForLine(const WireRequest& request) {
  auto line = client_.CallForLine(request.cmd, request.args);
  if (!line) return TransportError(line.error());
  return std::move(*line);
}

int Session::FailedLine(std::string_view line) {
  auto decoded = protocol::DecodeReply(line);
  if (auto* why = std::get_if<std::string>(&decoded))
    return TransportError(Error{ErrorCode::kProtocol, 0, *why});
  const auto& reply = std::get<protocol::Reply>(decoded);
  if (reply.ok) return TransportError(Error{ErrorCode::kProtocol, 0, "unexpected reply from supd"});
  return ErrorReply(reply);
}

int Session::Stream(const WireRequest& request, const std::function<void(const json&)>& on_item) {
  auto end = client_.Stream(request.cmd, request.args, on_item);
  if (!end) return TransportError(end.error());
  if (!end->ok) return ErrorReply(*end);
  return kExitOk;
}

}  // namespace sup::ctl
