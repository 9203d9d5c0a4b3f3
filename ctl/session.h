// One connection to supd for one supctl command: connects with SPEC §5's error mapping
// (4 not reachable, 5 permission), sends the request, and turns error replies into printed
// reasons and exit codes. Every function here prints its own failure to `err`.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "ctl/requests.h"
#include "protocol/client.h"

namespace sup::ctl {

class Session {
 public:
  // The connected session, or the exit code after printing why not.
  static std::variant<Session, int> Open(const std::string& socket, std::ostream& err);

  // A single-reply request: its result, or the exit code after printing the error.
  std::variant<nlohmann::json, int> Call(const WireRequest& request);

  // A single-reply request whose result the caller reads from the raw line itself (status,
  // see status_rows.h): the line, or the exit code after printing a transport error.
  std::variant<std::string, int> CallForLine(const WireRequest& request);
  // For a line from CallForLine that is not an ok reply: prints why, returns the exit code.
  int FailedLine(std::string_view line);

  // A streaming request: `on_item` for each item; 0 at the end marker, else the exit code
  // after printing the error.
  int Stream(const WireRequest& request, const std::function<void(const nlohmann::json&)>& on_item);

 private:
  Session(protocol::Client client, std::string socket, std::ostream& err);
  int TransportError(const Error& error);
  int ErrorReply(const protocol::Reply& reply);

  protocol::Client client_;
  std::string socket_;
  std::ostream* err_;
};

// Why a connection to `socket` failed, and the exit code: 5 for EACCES/EPERM, else 4.
int ReportConnectError(const Error& error, const std::string& socket, std::ostream& err);

}  // namespace sup::ctl
