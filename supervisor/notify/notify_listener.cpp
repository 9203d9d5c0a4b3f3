#include "notify/notify_listener.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace sup::daemon {
namespace {

// A flood of datagrams must not starve the rest of the loop: past this many in one wake-up the
// rest waits for the next iteration (the poll is level-triggered, so nothing is lost).
constexpr int kMaxPerWakeup = 1024;
// Enough for the credentials and the kernel's maximum of passed fds (SCM_MAX_FD = 253).
constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 253);

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

}  // namespace

bool SenderBelongs(pid_t sender, pid_t main_pid, pid_t pgid) {
  if (sender <= 0) return false;
  if (sender == main_pid) return kill(sender, 0) == 0 || errno == EPERM;
  if (pgid <= 0) return false;
  return getpgid(sender) == pgid;  // -1 (ESRCH) for a sender already gone
}

Result<std::unique_ptr<NotifyListener>> NotifyListener::Create(uv_loop_t* loop, const std::string& path,
                                                               Handler handler) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Fail(Error{ErrorCode::kInvalidConfig, 0, "notify socket path too long: " + path});
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return Fail(SystemError("notify socket " + path, EEXIST));
    if (unlink(path.c_str()) != 0) return Fail(SystemError("remove stale notify socket " + path, errno));
  }
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(SystemError("notify socket", errno));
  std::unique_ptr<NotifyListener> self(new NotifyListener(path, std::move(handler), -1));
  self->fd_ = fd;  // from here the destructor closes it
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
    return Fail(SystemError("notify socket SO_PASSCRED", errno));
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    self->path_.clear();  // not ours: never unlink it
    return Fail(SystemError("bind notify socket " + path, err));
  }
  // Any process may send: acceptance is decided per message from its credentials.
  if (chmod(path.c_str(), 0666) != 0) return Fail(SystemError("chmod notify socket " + path, errno));
  auto* handle = new uv_poll_t;
  if (const int rc = uv_poll_init(loop, handle, fd); rc != 0) {
    delete handle;
    return Fail(Error{ErrorCode::kLibuv, rc, std::string("poll notify socket: ") + uv_strerror(rc)});
  }
  self->poll_.reset(handle);
  handle->data = self.get();
  if (const int rc = uv_poll_start(handle, UV_READABLE, &NotifyListener::OnReadable); rc != 0) {
    return Fail(Error{ErrorCode::kLibuv, rc, std::string("poll notify socket: ") + uv_strerror(rc)});
  }
  return self;
}

NotifyListener::~NotifyListener() {
  poll_.reset();  // uv_close stops watching the fd at once, so closing it next is safe
  if (fd_ >= 0) close(fd_);
  if (!path_.empty()) unlink(path_.c_str());
}

void NotifyListener::OnReadable(uv_poll_t* handle, int /*status*/, int /*events*/) noexcept {
  auto* self = static_cast<NotifyListener*>(handle->data);
  if (self == nullptr) return;
  for (int i = 0; i < kMaxPerWakeup && self->ReadOne(); ++i) {
  }
}

void NotifyListener::Drain() {
  while (ReadOne()) {
  }
}

bool NotifyListener::ReadOne() {
  char data[kMaxNotifyDatagram];
  alignas(cmsghdr) char control[kControlSize];
  iovec iov{data, sizeof(data)};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  // MSG_TRUNC: the return value is the datagram's real size, so oversize ones are recognised.
  ssize_t n;
  do {
    n = recvmsg(fd_, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return false;  // EAGAIN: drained; anything else: retry on the next wake-up

  std::vector<int> fds;
  ucred cred{};
  bool have_cred = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_RIGHTS) {
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        fds.push_back(fd);
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      have_cred = true;
    }
  }
  if (static_cast<std::size_t>(n) > sizeof(data) || (mh.msg_flags & MSG_TRUNC)) {
    ++stats_.oversize;
    CloseAll(fds);
    return true;
  }
  auto message = ParseNotify(std::string_view(data, static_cast<std::size_t>(n)));
  if (!message) {
    ++stats_.malformed;
    CloseAll(fds);
    return true;
  }
  if (have_cred) {
    message->pid = cred.pid;
    message->uid = cred.uid;
    message->gid = cred.gid;
  }
  message->fds = static_cast<int>(fds.size());
  bool accepted = false;
  try {
    accepted = handler_ && handler_(*message);
  } catch (...) {
    accepted = false;
  }
  ++(accepted ? stats_.accepted : stats_.rejected);
  // Closed after the handler: every earlier datagram has been handled when a BARRIER=1 sender
  // sees its pipe close.
  CloseAll(fds);
  return true;
}

}  // namespace sup::daemon
