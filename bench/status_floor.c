/* status_floor: the least any client of supd's control protocol can do for `supctl status`:
 * connect, send one status request, copy the reply line to stdout as it came (no parsing, no
 * table), exit. C with nothing but libc, so that its wall time next to /bin/true's is the
 * floor of the status10 row: the exec of a dynamic program, one round trip, and supd's work
 * for the reply (BENCHMARKS.md status10floor).
 *   status_floor SOCKET */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fputs("usage: status_floor SOCKET\n", stderr);
    return 2;
  }
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof(address.sun_path)) return 2;
  strcpy(address.sun_path, argv[1]);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&address, sizeof(address)) != 0) return 1;
  static const char request[] = "{\"id\":1,\"cmd\":\"status\"}\n";
  if (write(fd, request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1)) return 1;
  static char reply[1 << 20];
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(fd, reply + used, sizeof(reply) - used);
    if (n <= 0) return 1;
    used += (size_t)n;
    if (memchr(reply + used - n, '\n', (size_t)n) != NULL) break;
    if (used == sizeof(reply)) return 1;
  }
  if (strstr(reply, "\"ok\":true") == NULL) return 3;
  return write(STDOUT_FILENO, reply, used) == (ssize_t)used ? 0 : 1;
}
