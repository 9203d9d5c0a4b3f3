#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>

#include "agent_test_util.h"
#include "status/counter_page.h"
#include "status/status_segment.h"
#include "sup/agent.h"

using sup::agent::testing::InChild;
using namespace sup::daemon;

namespace {

struct ShmNames {
  std::string segment = "/sup-iso-" + std::to_string(getpid());
};

bool OpenFails(const std::string& name, int flags) {
  const int fd = shm_open(name.c_str(), flags, 0);
  if (fd >= 0) close(fd);
  return fd < 0 && errno == EACCES;
}

}  // namespace

TEST_CASE("Isolation: a worker with only its page fd -> writes its page, never the segment or another page", "[agent][isolation]") {
  ShmNames names;
  auto seg = StatusSegment::Create(names.segment, 0640, 2);
  REQUIRE(seg);
  auto own = CounterPage::Create(CounterPageName(names.segment, getpid(), 1), 0640);
  auto other = CounterPage::Create(CounterPageName(names.segment, getpid(), 2), 0640);
  REQUIRE(own);
  REQUIRE(other);
  const bool root = geteuid() == 0;
  const passwd* nobody = getpwnam("nobody");
  if (root) REQUIRE(nobody != nullptr);
  const uid_t uid = root ? nobody->pw_uid : 0;
  const gid_t gid = root ? nobody->pw_gid : 0;

  const int code = InChild([&] {
    if (root) {
      // What supd does for `user = "nobody"`: drop groups, gid, then uid.
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) return 90;
      if (geteuid() == 0) return 91;
      // shm_mode 0640 owned by root: nobody cannot even read the segment.
      if (!OpenFails(names.segment, O_RDWR)) return 1;
      if (!OpenFails(names.segment, O_RDONLY)) return 2;
    }
    // Pages have no write bit for anyone: not by name, not even one's own.
    if (!OpenFails((*other)->name(), O_RDWR)) return 3;
    if (!OpenFails((*own)->name(), O_RDWR)) return 4;
    // Through the inherited fd the worker writes its own page.
    setenv("SUP_COUNTERS_FD", std::to_string((*own)->fd()).c_str(), 1);
    sup_counter_t* c = sup_counter("mine");
    if (c == nullptr) return 5;
    sup_counter_add(c, 42);
    return 0;
  });
  CHECK(code == 0);
  const auto values = (*own)->Read();
  REQUIRE(values.size() == 1);
  CHECK(values[0].name == "mine");
  CHECK(values[0].value == 42);
  CHECK((*other)->Read().empty());
  if (!root) WARN("not root: the setuid-nobody half of this test did not run");
}
