#include "protocol/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sup::protocol {
namespace {

using nlohmann::json;

Error ConnectError(const std::string& path, int err) {
  ErrorCode code = ErrorCode::kSystem;
  if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermission;
  return Error{code, err, "connect " + path};
}

}  // namespace

Result<Client> Client::Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Fail(Error{ErrorCode::kSystem, ENAMETOOLONG, "connect " + path});
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(SystemError("socket", errno));
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    const int err = errno;
    ::close(fd);
    return Fail(ConnectError(path, err));
  }
  return Client(fd);
}

Client::Client(int fd) : fd_(fd) {}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      next_id_(other.next_id_),
      framer_(std::move(other.framer_)),
      lines_(std::move(other.lines_)),
      ready_(std::move(other.ready_)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    next_id_ = other.next_id_;
    framer_ = std::move(other.framer_);
    lines_ = std::move(other.lines_);
    ready_ = std::move(other.ready_);
  }
  return *this;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Client::SendRaw(std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(Error{ErrorCode::kProtocol, errno, "send to supd"});
    }
    line.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<json> Client::Send(std::string_view cmd, const json& args) {
  json id = next_id_++;
  if (auto sent = SendRaw(EncodeRequest(id, cmd, args)); !sent) return Fail(sent.error());
  return id;
}

Result<void> Client::ReadLines(std::optional<std::chrono::steady_clock::time_point> deadline) {
  char buf[64 * 1024];
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      wait_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Fail(SystemError("poll", errno));
    }
    if (ready == 0) return Fail(Error{ErrorCode::kBusy, 0, "timed out waiting for supd"});
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Fail(Error{ErrorCode::kProtocol, errno, "read from supd"});
    }
    if (n == 0) return Fail(Error{ErrorCode::kProtocol, 0, "supd closed the connection"});
    bool got = false;
    for (auto& item : framer_.Feed(std::string_view(buf, static_cast<size_t>(n)))) {
      if (item.oversize) return Fail(Error{ErrorCode::kProtocol, 0, "reply line too long"});
      if (item.line.empty()) continue;
      lines_.push_back(std::move(item.line));
      got = true;
    }
    if (got) return {};
  }
}

Result<std::string> Client::NextLine(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (lines_.empty()) {
    if (auto more = ReadLines(deadline); !more) return Fail(more.error());
  }
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

Result<Reply> Client::Read(const json& id, std::optional<std::chrono::milliseconds> timeout) {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    for (auto it = ready_.begin(); it != ready_.end(); ++it) {
      // Errors about a line supd could not tie to a request come with "id":null.
      if (id.is_null() || it->id == id || it->id.is_null()) {
        Reply reply = std::move(*it);
        ready_.erase(it);
        return reply;
      }
    }
    auto line = NextLine(deadline);
    if (!line) return Fail(line.error());
    auto decoded = DecodeReply(*line);
    if (auto* why = std::get_if<std::string>(&decoded)) {
      return Fail(Error{ErrorCode::kProtocol, 0, *why});
    }
    ready_.push_back(std::move(std::get<Reply>(decoded)));
  }
}

Result<Reply> Client::RefusalOr(const Error& send_error) {
  if (send_error.sys != EPIPE && send_error.sys != ECONNRESET) return Fail(send_error);
  auto refusal = Read(json(nullptr), std::chrono::milliseconds(100));
  if (!refusal) return Fail(send_error);
  return refusal;
}

Result<Reply> Client::Call(std::string_view cmd, const json& args,
                           std::optional<std::chrono::milliseconds> timeout) {
  auto id = Send(cmd, args);
  if (!id) return RefusalOr(id.error());
  return Read(*id, timeout);
}

Result<std::string> Client::CallForLine(std::string_view cmd, const json& args) {
  auto id = Send(cmd, args);
  if (!id) {
    // As RefusalOr: a refusal may already be here.
    if (id.error().sys != EPIPE && id.error().sys != ECONNRESET) return Fail(id.error());
    auto refusal = NextLine(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    if (!refusal) return Fail(id.error());
    return refusal;
  }
  return NextLine(std::nullopt);
}

Result<Reply> Client::Stream(std::string_view cmd, const json& args,
                             const std::function<void(const json& item)>& on_item) {
  auto id = Send(cmd, args);
  if (!id) return RefusalOr(id.error());
  for (;;) {
    auto reply = Read(*id);
    if (!reply) return reply;
    if (!reply->ok || reply->end) return reply;
    on_item(reply->result);
  }
}

}  // namespace sup::protocol
