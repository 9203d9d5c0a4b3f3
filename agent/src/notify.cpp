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
#include "sup/notify_datagram.h"

namespace sup::agent {
namespace {

// supd drops datagrams over this size; longer STATUS texts are cut to fit.
constexpr size_t kMaxDatagram = 4096;

// Sends one datagram, with `pass_fd` attached (SCM_RIGHTS) when >= 0. 1: sent; 0: not
// supervised; -errno otherwise (an unusable $NOTIFY_SOCKET included).
int Send(const char* msg, size_t size, int pass_fd) noexcept {
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return 0;
  sockaddr_un addr;
  socklen_t addr_len = 0;
  if (const int bad = sup_notify_address(path, strlen(path), &addr, &addr_len)) return bad;
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -errno;
  const int err = sup_notify_send(sock, &addr, addr_len, msg, size, pass_fd);
  close(sock);
  return err != 0 ? err : 1;
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
