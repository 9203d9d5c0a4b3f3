#include "http/process_figures.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace sup::daemon::http {
namespace {

double CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  double count = 0;
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  ::closedir(dir);
  return count - 1;  // the descriptor opendir itself holds
}

// /proc/self/statm: "size resident shared text lib data dt", in pages.
bool ReadStatm(long long& size, long long& resident) {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  return std::sscanf(buf, "%lld %lld", &size, &resident) == 2;
}

}  // namespace

ProcessFigures ReadProcessFigures() {
  ProcessFigures f;
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  long long size = 0, resident = 0;
  if (ReadStatm(size, resident)) {
    f.virtual_bytes = static_cast<double>(size) * page;
    f.resident_bytes = static_cast<double>(resident) * page;
  }
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0)
    f.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  f.open_fds = CountOpenFds();
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0)
    f.max_fds = lim.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(lim.rlim_cur);
  return f;
}

}  // namespace sup::daemon::http
