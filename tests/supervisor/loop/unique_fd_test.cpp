// UniqueFd: closes exactly once, and ownership moves.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "loop/unique_fd.h"

namespace sup::daemon {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

int OpenNull() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST_CASE("UniqueFd: the destructor closes the fd", "[loop][fd]") {
  int raw = -1;
  {
    UniqueFd fd(OpenNull());
    raw = fd.get();
    REQUIRE(fd.valid());
    CHECK(IsOpen(raw));
  }
  CHECK_FALSE(IsOpen(raw));
}

TEST_CASE("UniqueFd: moving transfers ownership and empties the source", "[loop][fd]") {
  UniqueFd a(OpenNull());
  const int raw = a.get();
  UniqueFd b(std::move(a));
  CHECK_FALSE(a.valid());
  CHECK(b.get() == raw);
  UniqueFd c;
  c = std::move(b);
  CHECK_FALSE(b.valid());
  CHECK(c.get() == raw);
  CHECK(IsOpen(raw));
}

TEST_CASE("UniqueFd: move-assigning over an owned fd closes the old one", "[loop][fd]") {
  UniqueFd a(OpenNull());
  UniqueFd b(OpenNull());
  const int old = a.get();
  const int kept = b.get();
  a = std::move(b);
  CHECK_FALSE(IsOpen(old));
  CHECK(a.get() == kept);
  CHECK(IsOpen(kept));
}

TEST_CASE("UniqueFd: release gives the fd up without closing it", "[loop][fd]") {
  UniqueFd a(OpenNull());
  const int raw = a.release();
  CHECK_FALSE(a.valid());
  CHECK(IsOpen(raw));
  close(raw);
}

TEST_CASE("UniqueFd: reset closes the current fd and adopts the new one", "[loop][fd]") {
  UniqueFd a(OpenNull());
  const int first = a.get();
  const int second = OpenNull();
  a.reset(second);
  CHECK_FALSE(IsOpen(first));
  CHECK(a.get() == second);
  a.reset();
  CHECK_FALSE(IsOpen(second));
  CHECK_FALSE(a);
}

}  // namespace
}  // namespace sup::daemon
