/* One sd_notify datagram, the sending side shared by libsupagent (agent/src/notify.cpp),
 * `supctl notify` (ctl/notify.cpp) and supd's own READY=1 to its manager
 * (supervisor/systemd/sd_notify_sender.cpp): $NOTIFY_SOCKET's address and sendmsg with an
 * optional fd attached (SCM_RIGHTS, for BARRIER=1). Plain C, header-only, libc only, no
 * allocation: the agent is libc-only and async-signal-safe code may call it. Not installed:
 * internal. */
#ifndef SUP_NOTIFY_DATAGRAM_H
#define SUP_NOTIFY_DATAGRAM_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Fills `addr` for `path` ("/abs/path", or "@name" for the abstract namespace), `n` its
 * length. Returns 0, -EAFNOSUPPORT for any other form, -EINVAL when it does not fit. */
static inline int sup_notify_address(const char* path, size_t n, struct sockaddr_un* addr,
                                     socklen_t* len) {
  if (n == 0 || (path[0] != '/' && path[0] != '@')) return -EAFNOSUPPORT;
  if (n >= sizeof(addr->sun_path)) return -EINVAL;
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, path, n);
  if (path[0] == '@') {
    addr->sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends the name */
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  } else {
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
  }
  return 0;
}

/* Sends `msg` as one datagram on `sock` to `addr`, with `pass_fd` attached when >= 0.
 * Retries on EINTR. Returns 0 or -errno. */
static inline int sup_notify_send(int sock, const struct sockaddr_un* addr, socklen_t addr_len,
                                  const char* msg, size_t size, int pass_fd) {
  struct iovec iov;
  struct msghdr mh;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  ssize_t r;
  iov.iov_base = (void*)msg;
  iov.iov_len = size;
  memset(&mh, 0, sizeof(mh));
  mh.msg_name = (void*)addr;
  mh.msg_namelen = addr_len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (pass_fd >= 0) {
    struct cmsghdr* c;
    memset(&control, 0, sizeof(control));
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  do {
    r = sendmsg(sock, &mh, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

#endif /* SUP_NOTIFY_DATAGRAM_H */
