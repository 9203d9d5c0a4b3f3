#include <sys/mman.h>
#include <time.h>

#include <cstring>
#include <sstream>

#include <catch2/catch.hpp>

#include "ctl/top.h"
#include "shm_test_util.h"
#include "status/counter_page.h"
#include "status/status_segment.h"

using namespace sup::daemon;
using sup::daemon::testing::ShmName;

namespace {

std::uint64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Writes a counter into a page through its fd, the way the agent in a worker does.
void PutCounter(const CounterPage& page, const char* name, sup_counter_kind kind, std::uint64_t value) {
  void* m = mmap(nullptr, sizeof(sup_counter_page), PROT_READ | PROT_WRITE, MAP_SHARED, page.fd(), 0);
  REQUIRE(m != MAP_FAILED);
  auto* p = static_cast<sup_counter_page*>(m);
  sup_counter_entry& e = p->entries[p->header.count++];
  std::strcpy(e.name, name);
  e.kind = kind;
  e.value = value;
  e.state = SUP_COUNTER_PUBLISHED;
  munmap(m, sizeof(sup_counter_page));
}

}  // namespace

TEST_CASE("PrintTopSnapshot: a segment with pages -> one table with states and counters", "[top]") {
  ShmName shm;
  auto seg = StatusSegment::Create(shm.name, 0600, 1);
  REQUIRE(seg);
  auto page = CounterPage::Create(CounterPageName(shm.name, getpid(), 0), 0600);
  REQUIRE(page);
  PutCounter(**page, "requests_total", SUP_COUNTER_KIND_COUNTER, 1234);
  PutCounter(**page, "queue_depth", SUP_COUNTER_KIND_GAUGE, static_cast<std::uint64_t>(-4));

  SlotData web;
  web.name = "web";
  web.pid = 4242;
  web.state = SUP_STATE_RUNNING;
  web.ready = true;
  web.health = SUP_HEALTH_HEALTHY;
  web.restarts = 3;
  web.start_mono_ns = MonoNs() - 125'000'000'000ull;  // 2m05s ago
  web.counter_page = (*page)->name();
  REQUIRE((*seg)->Publish(0, web));
  SlotData worker;
  worker.name = "worker:1";
  worker.state = SUP_STATE_FATAL;
  REQUIRE((*seg)->Publish(5, worker));  // beyond capacity: top must follow the new segment

  std::ostringstream out;
  REQUIRE(sup::ctl::PrintTopSnapshot(shm.name, out) == 0);
  const std::string text = out.str();
  INFO(text);
  CHECK(text.find("supd pid " + std::to_string(getpid())) != std::string::npos);
  CHECK(text.find("NAME") != std::string::npos);
  CHECK(text.find("COUNTERS") != std::string::npos);
  CHECK(text.find("web") != std::string::npos);
  CHECK(text.find("RUNNING") != std::string::npos);
  CHECK(text.find("4242") != std::string::npos);
  CHECK(text.find("healthy") != std::string::npos);
  CHECK(text.find("2m0") != std::string::npos);
  CHECK(text.find("requests_total=1234") != std::string::npos);
  CHECK(text.find("queue_depth=-4") != std::string::npos);
  CHECK(text.find("worker:1") != std::string::npos);
  CHECK(text.find("FATAL") != std::string::npos);
}

TEST_CASE("PrintTopSnapshot: no segment under the name -> exit 4 (supd not reachable)", "[top]") {
  std::ostringstream out;
  CHECK(sup::ctl::PrintTopSnapshot("/sup-test-no-such-segment", out) == 4);
  CHECK(out.str().empty());
}

TEST_CASE("RenderTop: an instance without a process -> no pid, no uptime, no counters", "[top]") {
  Snapshot snap;
  snap.info.supd_pid = 7;
  SlotData d;
  d.name = "db";
  d.state = SUP_STATE_STOPPED;
  d.pid = 99;  // stale pid of the last run: not shown
  d.start_mono_ns = 1;
  snap.slots.push_back({0, d});
  const std::string text = sup::ctl::RenderTop(snap, {}, 10'000'000'000ull);
  INFO(text);
  CHECK(text.find("99") == std::string::npos);
  CHECK(text.find("STOPPED") != std::string::npos);
  CHECK(text.find("1 instance\n") != std::string::npos);
}

TEST_CASE("HumanDuration: seconds, minutes, hours, days", "[top]") {
  using sup::ctl::HumanDuration;
  constexpr std::uint64_t kS = 1'000'000'000ull;
  CHECK(HumanDuration(0) == "0s");
  CHECK(HumanDuration(59 * kS) == "59s");
  CHECK(HumanDuration(125 * kS) == "2m05s");
  CHECK(HumanDuration(3 * 3600 * kS + 7 * 60 * kS) == "3h07m");
  CHECK(HumanDuration(2 * 86400 * kS + 5 * 3600 * kS) == "2d05h");
}
