// stamp: the probe program of the start-up benchmarks. It reads CLOCK_MONOTONIC as its first act
// in main and appends "PID START_NS END_NS" to FILE with one O_APPEND write (atomic, so many
// stamps may share a file), then `exit N` exits at once with N (END_NS: just before _exit) or
// `pause` waits for a signal with default dispositions (END_NS: 0). Linked statically so that
// the dynamic loader does not dominate what is measured.
//   stamp FILE exit 1        stamp FILE pause
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

long long NowNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

[[noreturn]] void Usage() {
  std::fputs("usage: stamp FILE exit N | stamp FILE pause\n", stderr);
  _exit(2);
}

bool Append(const char* path, long long start_ns, long long end_ns) {
  char line[96];
  const int size = std::snprintf(line, sizeof line, "%d %lld %lld\n", static_cast<int>(getpid()),
                                 start_ns, end_ns);
  const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = write(fd, line, static_cast<size_t>(size)) == size;
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const long long start_ns = NowNs();
  if (argc < 3) Usage();
  const char* path = argv[1];
  if (std::strcmp(argv[2], "exit") == 0 && argc == 4) {
    const int code = std::atoi(argv[3]);
    if (!Append(path, start_ns, NowNs())) {
      std::fprintf(stderr, "stamp: %s: %s\n", path, std::strerror(errno));
      _exit(2);
    }
    _exit(code);
  }
  if (std::strcmp(argv[2], "pause") == 0 && argc == 3) {
    if (!Append(path, start_ns, 0)) {
      std::fprintf(stderr, "stamp: %s: %s\n", path, std::strerror(errno));
      _exit(2);
    }
    for (;;) pause();
  }
  Usage();
}
