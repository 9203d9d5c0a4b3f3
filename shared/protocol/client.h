// A small blocking client of the control socket, for supctl (and for supd's start-up check
// that no other supd serves its socket). One connection; requests get increasing integer
// ids; replies for other ids that arrive while waiting are kept for later reads.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/line_framer.h"
#include "protocol/message.h"
#include "sup/base/result.h"

namespace sup::protocol {

class Client {
 public:
  // Replies may be much longer than a request (status of many instances); this bounds
  // what a confused peer can make the client buffer.
  static constexpr std::size_t kMaxReplyLine = 256u << 20;

  // Connects to the Unix stream socket at `path`. Errors: ErrorCode::kNotFound when nobody
  // serves the path (ENOENT, ECONNREFUSED, ENOTDIR), kPermission on EACCES/EPERM, kSystem
  // otherwise; `sys` is the errno and the context names the path.
  static Result<Client> Connect(const std::string& path);

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends one request; returns its id.
  Result<nlohmann::json> Send(std::string_view cmd, const nlohmann::json& args);
  // Sends an arbitrary line (tests, raw use); `line` must end with '\n'.
  Result<void> SendRaw(std::string_view line);

  // The next reply whose id is `id` (any id when `id` is null). nullopt timeout = wait
  // forever. Errors: kProtocol when supd closed the connection or sent garbage,
  // kBusy ("timed out") when the timeout passed.
  Result<Reply> Read(const nlohmann::json& id,
                     std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Send + Read: a single-reply request.
  Result<Reply> Call(std::string_view cmd, const nlohmann::json& args,
                     std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Call() for a reply the caller decodes itself (supctl reads a status of 10 000 instances,
  // a 3.6 MB line, without building its JSON document): the next reply line, undecoded.
  // Only for a client with no other request in flight.
  Result<std::string> CallForLine(std::string_view cmd, const nlohmann::json& args);

  // Sends a request and calls `on_item` for every streamed item (ok && !end). Returns the
  // line that ended the stream: the end marker, or an error reply. Only for commands that
  // stream (events, logs, wait, start/stop/restart with "wait":true).
  Result<Reply> Stream(std::string_view cmd, const nlohmann::json& args,
                       const std::function<void(const nlohmann::json& item)>& on_item);

  int fd() const { return fd_; }

 private:
  // The reply to give when a request could not be sent: supd may have refused the connection
  // (busy) and closed it before the request left, and its refusal is then already here.
  Result<Reply> RefusalOr(const Error& send_error);
  explicit Client(int fd);
  // Reads until at least one more whole line is in lines_.
  Result<void> ReadLines(std::optional<std::chrono::steady_clock::time_point> deadline);
  // The oldest line not yet taken, waiting for it until `deadline`.
  Result<std::string> NextLine(std::optional<std::chrono::steady_clock::time_point> deadline);

  int fd_ = -1;
  long long next_id_ = 1;
  LineFramer framer_{kMaxReplyLine};
  std::deque<std::string> lines_;  // received lines not yet decoded
  std::deque<Reply> ready_;        // decoded replies not yet asked for
};

}  // namespace sup::protocol
