// Reads on libuv's thread pool: every probe's reading, in order, delivered on the loop thread
// after the reads ran elsewhere, over several chunks; a small selection read at once; a probe its instance dropped meanwhile is
// still read safely (the job shares it); the /proc scan runs only when a probe needs it.
#include "resources/usage_reads.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

using namespace sup::daemon::resources;
using sup::resources::ProbeTarget;
using sup::resources::ProcessProbe;

namespace {

std::shared_ptr<ProcessProbe> ProbeOf(pid_t pid, const std::string& cgroup_dir) {
  ProbeTarget t;
  t.pid = pid;
  t.pgid = getpgid(pid);
  t.cgroup_dir = cgroup_dir;
  return std::make_shared<ProcessProbe>(t, nullptr);
}

// Runs `loop` until `done` is set (bounded: the test fails rather than hangs).
void RunUntil(uv_loop_t& loop, const bool& done) {
  for (int i = 0; i < 10'000 && !done; ++i) uv_run(&loop, UV_RUN_ONCE);
  REQUIRE(done);
}

}  // namespace

TEST_CASE("ReadOnPool: one reading per probe, in order, on the loop thread, in chunks",
          "[resources][pool]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  // This process (alive) and pid 0x7ffffff0 (no such process), alternating, past two chunks.
  // A cgroup dir that does not exist: no scan needed, and no members beyond the main process.
  Probes probes;
  const std::size_t n = 4 * kMinProbesPerChunk + 5;  // a chunk per core, when there are several
  for (std::size_t i = 0; i < n; ++i) probes.push_back(ProbeOf(i % 2 == 0 ? getpid() : 0x7ffffff0, "/nonexistent"));
  CHECK_FALSE(NeedsScan(probes));
  const auto loop_thread = std::this_thread::get_id();
  bool done = false;
  Readings got;
  std::thread::id ran_on;
  ReadOnPool(loop, probes, [&](Readings r) {
    got = std::move(r);
    ran_on = std::this_thread::get_id();
    done = true;
  });
  CHECK_FALSE(done);  // nothing is read on the caller's stack
  RunUntil(loop, done);
  CHECK(ran_on == loop_thread);
  REQUIRE(got.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    INFO(i);
    CHECK(got[i].has_value() == (i % 2 == 0));
  }
  REQUIRE(got[0]);
  CHECK(got[0]->threads >= 1);
  CHECK(got[0]->fds >= 3);
  uv_loop_close(&loop);
}

TEST_CASE("ReadOnPool: a small selection needing no scan is read at once, on the calling thread",
          "[resources][pool]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Probes small(kReadHereAtMost, ProbeOf(getpid(), "/nonexistent"));
  bool done = false;
  ReadOnPool(loop, small, [&](Readings r) {
    CHECK(r.size() == kReadHereAtMost);
    CHECK(r.back().has_value());
    done = true;
  });
  CHECK(done);  // no pool hand-off: answered before ReadOnPool returned
  Probes one_more(kReadHereAtMost + 1, ProbeOf(getpid(), "/nonexistent"));
  done = false;
  ReadOnPool(loop, one_more, [&](Readings) { done = true; });
  CHECK_FALSE(done);
  RunUntil(loop, done);
  uv_loop_close(&loop);
}

TEST_CASE("ReadOnPool: a probe dropped by its instance meanwhile is read safely (a scan when needed)",
          "[resources][pool]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto probe = ProbeOf(getpid(), "");  // no cgroup: its group's members from a /proc scan
  CHECK(NeedsScan({probe}));
  bool done = false;
  Readings got;
  ReadOnPool(loop, {probe}, [&](Readings r) {
    got = std::move(r);
    done = true;
  });
  probe.reset();  // the instance's process ended: only the job holds it now
  RunUntil(loop, done);
  REQUIRE(got.size() == 1);
  REQUIRE(got[0]);
  CHECK(got[0]->processes >= 1);  // this process's group, as the scan found it
  CHECK(ReadNow({}).empty());
  uv_loop_close(&loop);
}
