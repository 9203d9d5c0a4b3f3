// The sd_notify half of libsupagent: one datagram per message to $NOTIFY_SOCKET, systemd's wire
// format and return convention. Stack buffers only: nothing here allocates.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sup/agent.h"

namespace sup::agent {
namespace {

// supd drops datagrams over this size; longer STATUS texts are cut to fit.
constexpr size_t kMaxDatagram = 4096;

// 1: address filled; 0: not supervised; -errno: unusable $NOTIFY_SOCKET.
int NotifyAddress(sockaddr_un* addr, socklen_t* len) noexcept {
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return 0;
  if (path[0] != '/' && path[0] != '@') return -EAFNOSUPPORT;
  const size_t n = strlen(path);
  if (n >= sizeof(addr->sun_path)) return -EINVAL;
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, path, n);
  if (path[0] == '@') {
    addr->sun_path[0] = '\0';  // abstract: the length, not a NUL, ends the name
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
  } else {
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n + 1);
  }
  return 1;
}

// Sends one datagram, with `pass_fd` attached (SCM_RIGHTS) when >= 0.
int Send(const char* msg, size_t size, int pass_fd) noexcept {
  sockaddr_un addr;
  socklen_t addr_len = 0;
  const int have = NotifyAddress(&addr, &addr_len);
  if (have <= 0) return have;
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -errno;
  iovec iov{const_cast<char*>(msg), size};
  msghdr mh{};
  mh.msg_name = &addr;
  mh.msg_namelen = addr_len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    memset(control, 0, sizeof(control));
    mh.msg_control = control;
    mh.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  ssize_t r;
  do {
    r = sendmsg(sock, &mh, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  const int err = r < 0 ? errno : 0;
  close(sock);
  return err != 0 ? -err : 1;
}

}  // namespace
}  // namespace sup::agent

extern "C" {

int sup_notify(const char* msg) {
  if (msg == nullptr) return -EINVAL;
  return sup::agent::Send(msg, strlen(msg), -1);
}

int sup_notify_ready(void) { return sup_notify("READY=1"); }
int sup_notify_watchdog(void) { return sup_notify("WATCHDOG=1"); }
int sup_notify_stopping(void) { return sup_notify("STOPPING=1"); }
int sup_notify_reloading(void) { return sup_notify("RELOADING=1"); }

int sup_notify_status(const char* text) {
  if (text == nullptr) return -EINVAL;
  static constexpr char kKey[] = "STATUS=";
  char buf[sup::agent::kMaxDatagram];
  const size_t key = sizeof(kKey) - 1;
  size_t n = strlen(text);
  if (n > sizeof(buf) - key) n = sizeof(buf) - key;
  memcpy(buf, kKey, key);
  memcpy(buf + key, text, n);
  return sup::agent::Send(buf, key + n, -1);
}

int sup_notify_barrier(int timeout_ms) {
  if (getenv("NOTIFY_SOCKET") == nullptr) return 0;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
  static constexpr char kBarrier[] = "BARRIER=1";
  const int sent = sup::agent::Send(kBarrier, sizeof(kBarrier) - 1, fds[1]);
  close(fds[1]);  // now only the supervisor's copy keeps the pipe open
  if (sent <= 0) {
    close(fds[0]);
    return sent;
  }
  pollfd p{fds[0], 0, 0};  // POLLHUP is reported whatever `events` asks for
  int r;
  do {
    r = poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  const int err = r < 0 ? -errno : (r == 0 ? -ETIMEDOUT : 1);
  close(fds[0]);
  return err;
}

}  // extern "C"
