// ReadProcessFigures: this test process's own /proc figures.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "http/process_figures.h"

using sup::daemon::http::ReadProcessFigures;

TEST_CASE("ReadProcessFigures: this process -> memory, CPU and the fd limit are read", "[http]") {
  const auto f = ReadProcessFigures();
  CHECK(f.resident_bytes > 0);
  CHECK(f.virtual_bytes >= f.resident_bytes);
  CHECK(f.cpu_seconds >= 0);
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur != RLIM_INFINITY) CHECK(f.max_fds == static_cast<double>(lim.rlim_cur));
}

TEST_CASE("ReadProcessFigures: one more open descriptor -> open_fds one higher", "[http]") {
  const double before = ReadProcessFigures().open_fds;
  REQUIRE(before >= 3);
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(ReadProcessFigures().open_fds == before + 1);
  ::close(fd);
  CHECK(ReadProcessFigures().open_fds == before);
}
