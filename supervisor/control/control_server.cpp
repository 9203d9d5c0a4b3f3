#include "control/control_server.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include "control/connection.h"
#include "protocol/client.h"
#include "protocol/message.h"

namespace sup::daemon::control {
namespace {

using nlohmann::json;

std::optional<unsigned> ParseId(const std::string& s) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// The *_r lookups: reload runs the config loader (which calls getpwnam) on a worker thread
// while the loop thread may be here.
std::optional<uid_t> LookupUser(const std::string& name) {
  if (auto id = ParseId(name)) return static_cast<uid_t>(*id);
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return pw.pw_uid;
}

// The group's gid and the uids of its listed members (gr_mem).
std::optional<std::pair<gid_t, std::vector<uid_t>>> LookupGroup(const std::string& name) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(65536);
  const auto id = ParseId(name);
  const int rc = id ? ::getgrgid_r(static_cast<gid_t>(*id), &gr, buf.data(), buf.size(), &found)
                    : ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    if (id) return std::make_pair(static_cast<gid_t>(*id), std::vector<uid_t>{});
    return std::nullopt;
  }
  std::pair<gid_t, std::vector<uid_t>> out{gr.gr_gid, {}};
  for (char** member = gr.gr_mem; member != nullptr && *member != nullptr; ++member) {
    if (auto uid = LookupUser(*member)) out.second.push_back(*uid);
  }
  return out;
}

Error StartError(ErrorCode code, int sys, std::string context) {
  return Error{code, sys, std::move(context)};
}

}  // namespace

ControlServer::ControlServer(uv_loop_t& loop, ServerOptions options, CommandHandler& handler)
    : loop_(loop), options_(std::move(options)), handler_(handler), refusals_(loop) {}

ControlServer::~ControlServer() {
  Close();
  retired_.clear();
}

Result<void> ControlServer::Start() {
  if (auto bound = Bind(); !bound) return bound;
  return Listen();
}

Result<void> ControlServer::Bind() {
  if (options_.path.empty() || options_.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Fail(StartError(ErrorCode::kInvalidConfig, ENAMETOOLONG,
                           "control socket path '" + options_.path + "'"));
  }
  if (auto access = SetAccess(options_.allow_users, options_.allow_groups); !access) return access;
  std::optional<gid_t> socket_gid;
  if (!options_.group.empty()) {
    auto group = LookupGroup(options_.group);
    if (!group) {
      return Fail(StartError(ErrorCode::kInvalidConfig, 0, "socket_group: no group '" + options_.group + "'"));
    }
    socket_gid = group->first;
  }
  if (auto dir = PrepareDirectory(); !dir) return dir;
  if (auto stale = ClearStaleSocket(); !stale) return stale;

  auto* pipe = new uv_pipe_t;
  if (const int rc = uv_pipe_init(&loop_, pipe, 0); rc != 0) {
    delete pipe;
    return Fail(StartError(ErrorCode::kLibuv, rc, std::string("uv_pipe_init: ") + uv_strerror(rc)));
  }
  listener_.reset(pipe);
  listener_->data = this;
  const std::string& path = options_.path;
  if (const int rc = uv_pipe_bind(listener_.get(), path.c_str()); rc != 0) {
    listener_.reset();
    return Fail(StartError(ErrorCode::kLibuv, rc, "bind " + path + ": " + uv_strerror(rc)));
  }
  // Mode and group are set before listen(): until then a connect is refused, so nobody
  // slips in under the umask's mode.
  auto undo = [&](Error e) {
    ::unlink(path.c_str());
    listener_.reset();
    return Fail(std::move(e));
  };
  if (::chmod(path.c_str(), options_.mode) != 0) return undo(SystemError("chmod " + path, errno));
  if (socket_gid && ::chown(path.c_str(), static_cast<uid_t>(-1), *socket_gid) != 0) {
    return undo(SystemError("chown " + path, errno));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return undo(SystemError("stat " + path, errno));
  socket_dev_ = st.st_dev;
  socket_ino_ = st.st_ino;
  bound_ = true;  // from here Close() unlinks the socket
  return {};
}

Result<void> ControlServer::Listen() {
  const std::string& path = options_.path;
  if (const int rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 128, OnConnection);
      rc != 0) {
    Close();
    return Fail(StartError(ErrorCode::kLibuv, rc, "listen " + path + ": " + uv_strerror(rc)));
  }
  spdlog::info("control: listening on {}", path);
  return {};
}

Result<void> ControlServer::PrepareDirectory() {
  std::string dir = std::filesystem::path(options_.path).parent_path().string();
  if (dir.empty()) dir = ".";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail(SystemError("socket directory " + dir, errno));
    if (::mkdir(dir.c_str(), 0711) != 0 && errno != EEXIST) {
      return Fail(SystemError("create socket directory " + dir, errno));
    }
    if (::chmod(dir.c_str(), 0711) != 0) return Fail(SystemError("chmod " + dir, errno));
    spdlog::info("control: created {}", dir);
    return {};
  }
  if (!S_ISDIR(st.st_mode)) {
    return Fail(StartError(ErrorCode::kInvalidConfig, ENOTDIR, "socket directory " + dir));
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return Fail(StartError(ErrorCode::kPermission, 0,
                           "socket directory " + dir + " is owned by uid " +
                               std::to_string(st.st_uid) + ", not root or supd's uid " +
                               std::to_string(::geteuid())));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Fail(StartError(ErrorCode::kPermission, 0,
                           "socket directory " + dir + " is group- or world-writable"));
  }
  return {};
}

Result<void> ControlServer::ClearStaleSocket() {
  const std::string& path = options_.path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Fail(SystemError("stat " + path, errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Fail(StartError(ErrorCode::kInvalidConfig, 0, path + " exists and is not a socket"));
  }
  auto client = protocol::Client::Connect(path);
  if (client) {
    // Someone serves it. Ask who, but do not wait long: start-up must not hang.
    auto reply = client->Call("pid", json::object(), std::chrono::milliseconds(2000));
    if (reply && reply->ok && reply->result.contains("pid") && reply->result["pid"].is_number_integer()) {
      return Fail(StartError(ErrorCode::kBusy, 0,
                             "another supd (pid " + std::to_string(reply->result["pid"].get<long long>()) +
                                 ") serves " + path));
    }
    return Fail(StartError(ErrorCode::kBusy, 0, "another process serves " + path));
  }
  if (client.error().sys == ECONNREFUSED) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Fail(SystemError("remove stale socket " + path, errno));
    }
    spdlog::info("control: removed stale socket {}", path);
    return {};
  }
  if (client.error().sys == ENOENT) return {};  // gone in between
  return Fail(client.error());
}

Result<void> ControlServer::SetAccess(const std::vector<std::string>& users,
                                      const std::vector<std::string>& groups) {
  std::set<uid_t> uids;
  std::set<gid_t> gids;
  std::set<uid_t> members;
  for (const auto& user : users) {
    auto uid = LookupUser(user);
    if (!uid) return Fail(StartError(ErrorCode::kNotFound, 0, "allow_users: no user '" + user + "'"));
    uids.insert(*uid);
  }
  for (const auto& name : groups) {
    auto group = LookupGroup(name);
    if (!group) return Fail(StartError(ErrorCode::kNotFound, 0, "allow_groups: no group '" + name + "'"));
    gids.insert(group->first);
    members.insert(group->second.begin(), group->second.end());
  }
  allow_uids_ = std::move(uids);
  allow_gids_ = std::move(gids);
  group_member_uids_ = std::move(members);
  options_.allow_users = users;
  options_.allow_groups = groups;
  for (auto& connection : connections_) connection->RefreshPrivilege();
  return {};
}

bool ControlServer::IsPrivileged(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) const {
  if (uid == 0 || uid == ::geteuid()) return true;
  if (allow_uids_.count(uid) != 0 || group_member_uids_.count(uid) != 0) return true;
  if (allow_gids_.count(gid) != 0) return true;
  return std::any_of(groups.begin(), groups.end(), [&](gid_t g) { return allow_gids_.count(g) != 0; });
}

void ControlServer::OnConnection(uv_stream_t* server, int status) noexcept {
  auto* self = static_cast<ControlServer*>(server->data);
  if (self == nullptr) return;
  self->Sweep();
  if (status != 0) {
    spdlog::warn("control: accept: {}", uv_strerror(status));
    return;
  }
  try {
    self->Accept();
  } catch (const std::exception& e) {
    spdlog::error("control: accept: {}", e.what());
  }
}

void ControlServer::Accept() {
  auto* raw = new uv_pipe_t;
  if (uv_pipe_init(&loop_, raw, 0) != 0) {
    delete raw;
    return;
  }
  UvHandle<uv_pipe_t> pipe(raw);
  if (const int rc = uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()),
                               reinterpret_cast<uv_stream_t*>(pipe.get()));
      rc != 0) {
    spdlog::warn("control: accept: {}", uv_strerror(rc));
    return;
  }
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(pipe.get()), &fd);
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    spdlog::warn("control: SO_PEERCRED: {}", std::strerror(errno));
    return;
  }
  std::vector<gid_t> groups(64);
  socklen_t groups_len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &groups_len) != 0 && errno == ERANGE) {
    groups.resize(groups_len / sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &groups_len) != 0) groups_len = 0;
  }
  groups.resize(groups_len / sizeof(gid_t));
  Peer peer{cred.uid, cred.gid, cred.pid, IsPrivileged(cred.uid, cred.gid, groups)};
  if (!Admit(pipe.get(), peer)) return;
  connections_.push_back(std::make_unique<Connection>(*this, std::move(pipe), peer, std::move(groups)));
  connections_.back()->Begin();
}

bool ControlServer::Admit(uv_pipe_t* pipe, const Peer& peer) {
  std::string why;
  const std::size_t limit = options_.max_clients;
  if (connections_.size() >= limit) {
    why = "too many clients (" + std::to_string(limit) + " connected)";
  } else if (!peer.privileged) {
    const std::size_t open_to_all = limit - std::min(options_.privileged_reserve, limit);
    const auto unprivileged = static_cast<std::size_t>(std::count_if(
        connections_.begin(), connections_.end(), [](const auto& c) { return !c->peer().privileged; }));
    if (unprivileged >= open_to_all) {
      why = "too many clients (" + std::to_string(unprivileged) + " unprivileged connected; the other " +
            std::to_string(limit - open_to_all) + " places are kept for privileged users)";
    }
  }
  if (why.empty()) return true;
  // One best-effort line, then close; a rejected client never costs a buffer.
  const std::string line = protocol::EncodeError(nullptr, protocol::code::kBusy, why);
  uv_buf_t buf = uv_buf_init(const_cast<char*>(line.data()), static_cast<unsigned>(line.size()));
  uv_try_write(reinterpret_cast<uv_stream_t*>(pipe), &buf, 1);
  refusals_.Warn(peer.uid, fmt::format("control: refused a client (uid {} pid {}): {}", peer.uid,
                                       peer.pid, why));
  return false;
}

void ControlServer::EnforceTotalOutput() {
  const std::size_t limit = options_.max_total_output;
  std::size_t freeing = 0;  // held by the clients dropped here, given back as libuv lets go
  while (budget_->held() - std::min(freeing, budget_->held()) > limit) {
    Connection* victim = nullptr;
    for (const auto& c : connections_) {
      if (c->output_held() == 0) continue;
      if (victim == nullptr || c->output_waiting_since() < victim->output_waiting_since() ||
          (c->output_waiting_since() == victim->output_waiting_since() &&
           c->output_held() > victim->output_held())) {
        victim = c.get();
      }
    }
    if (victim == nullptr) return;
    freeing += victim->output_held();
    spdlog::warn("control: dropping client uid {} pid {}: its {} bytes of output waited longest while "
                 "all clients together hold {} (bound {})",
                 victim->peer().uid, victim->peer().pid, victim->output_held(), budget_->held(), limit);
    victim->Close();
  }
}

bool ControlServer::TurnOver() const {
  if (must_progress_) return false;
  // uv_now() is the loop's clock as of this iteration's start (or its poll's return).
  const uint64_t now_ms = uv_hrtime() / 1'000'000;
  return now_ms >= uv_now(&loop_) + static_cast<uint64_t>(options_.turn_budget.count());
}

void ControlServer::Defer(Connection* connection) {
  if (std::find(deferred_.begin(), deferred_.end(), connection) != deferred_.end()) return;
  deferred_.push_back(connection);
  if (!turn_) {
    auto* idle = new uv_idle_t;
    uv_idle_init(&loop_, idle);  // documented to always return 0
    turn_.reset(idle);
    turn_->data = this;
  }
  uv_idle_start(turn_.get(), OnTurn);
}

void ControlServer::OnTurn(uv_idle_t* idle) noexcept {
  auto* self = static_cast<ControlServer*>(idle->data);
  if (self == nullptr) return;
  self->Sweep();
  self->ContinueDeferred();
}

void ControlServer::ContinueDeferred() {
  // Round robin: each client handles what the budget allows, the rest wait their turn.
  std::vector<Connection*> waiting = std::exchange(deferred_, {});
  must_progress_ = true;
  std::size_t k = 0;
  for (; k < waiting.size() && !TurnOver(); ++k) {
    // A client closed meanwhile is still allocated (retired_) until the next Sweep.
    if (!waiting[k]->closed()) waiting[k]->Continue();
  }
  must_progress_ = false;
  // The ones not reached go first next time, before those that deferred again just now.
  std::vector<Connection*> rest;
  for (; k < waiting.size(); ++k)
    if (!waiting[k]->closed()) rest.push_back(waiting[k]);
  for (Connection* c : deferred_)
    if (std::find(rest.begin(), rest.end(), c) == rest.end()) rest.push_back(c);
  deferred_ = std::move(rest);
  if (deferred_.empty() && turn_) uv_idle_stop(turn_.get());
}

void ControlServer::Retire(Connection* connection) {
  std::erase(deferred_, connection);
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const auto& c) { return c.get() == connection; });
  if (it == connections_.end()) return;
  retired_.push_back(std::move(*it));
  connections_.erase(it);
}

void ControlServer::Sweep() { retired_.clear(); }

void ControlServer::Close() {
  while (!connections_.empty()) connections_.back()->Close();
  turn_.reset();
  if (listener_) listener_.reset();
  if (bound_) {
    bound_ = false;
    struct stat st {};
    if (::lstat(options_.path.c_str(), &st) == 0 && st.st_dev == socket_dev_ && st.st_ino == socket_ino_) {
      ::unlink(options_.path.c_str());
    }
  }
}

}  // namespace sup::daemon::control
