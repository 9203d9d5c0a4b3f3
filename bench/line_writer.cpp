// line_writer: the program of the stdout-capture benchmark. Appends "PID START_NS 0" to STAMP
// (START_NS: CLOCK_MONOTONIC at its first act), then writes COUNT lines of exactly 100 bytes to
// stdout, 1000 lines per write() ("%010llu " numbered from 1, 'x' padding, '\n'), and exits 0.
// The numbers let the driver count lost, duplicated or torn lines.
//   line_writer STAMP COUNT
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

constexpr int kLineBytes = 100;
// A program logging flat out hands the kernel large writes (stdio's default for a pipe is 4 KiB,
// which would make the writer, not the capture, the bottleneck of `> file`).
constexpr std::size_t kLinesPerWrite = 1000;

long long NowNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  const long long start_ns = NowNs();
  if (argc != 3) {
    std::fputs("usage: line_writer STAMP COUNT\n", stderr);
    return 2;
  }
  char* end = nullptr;
  const unsigned long long count = std::strtoull(argv[2], &end, 10);
  if (*end != '\0') {
    std::fputs("line_writer: bad COUNT\n", stderr);
    return 2;
  }
  char stamp[96];
  const int stamp_size = std::snprintf(stamp, sizeof stamp, "%d %lld 0\n", static_cast<int>(getpid()),
                                       start_ns);
  const int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, stamp, static_cast<size_t>(stamp_size)) != stamp_size) {
    std::fprintf(stderr, "line_writer: %s: %s\n", argv[1], std::strerror(errno));
    return 2;
  }
  close(fd);

  static char buffer[kLinesPerWrite * kLineBytes];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  char line[kLineBytes + 1];
  std::memset(line, 'x', kLineBytes);
  line[kLineBytes - 1] = '\n';
  line[kLineBytes] = '\0';
  // The number is kept as ASCII and incremented in place: the writer must not be the bottleneck.
  std::memcpy(line, "0000000000 ", 11);
  for (unsigned long long i = 1; i <= count; ++i) {
    for (int digit = 9; digit >= 0; --digit) {
      if (line[digit] != '9') {
        ++line[digit];
        break;
      }
      line[digit] = '0';
    }
    if (std::fwrite(line, 1, kLineBytes, stdout) != kLineBytes) {
      std::fprintf(stderr, "line_writer: write: %s\n", std::strerror(errno));
      return 1;
    }
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "line_writer: flush: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}
