#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "shm_test_util.h"
#include "status/counter_page.h"
#include "status/segment_reader.h"
#include "status/slot_seqlock.h"
#include "status/status_segment.h"

using namespace sup::daemon;
using sup::daemon::testing::ShmName;

namespace {

SlotData Sample(const std::string& name, int k) {
  SlotData d;
  d.name = name;
  d.pid = 1000 + k;
  d.state = SUP_STATE_RUNNING;
  d.ready = true;
  d.health = SUP_HEALTH_HEALTHY;
  d.start_time_ns = 1'700'000'000'000'000'000ull + k;
  d.start_mono_ns = 5'000'000'000ull + k;
  d.restarts = static_cast<std::uint64_t>(k);
  d.last_exit = SlotExit{3, 0, false, 1'700'000'000'000'000'001ull, 2'500'000'000ull};
  d.captured_bytes = 4096u * k;
  d.dropped_lines = 7;
  d.counter_page = "/sup.1.2";
  return d;
}

}  // namespace

TEST_CASE("Slot encoding: decode(encode(data)) -> the same data", "[status]") {
  const SlotData d = Sample("web:1", 5);
  const auto back = DecodeSlot(EncodeSlot(d));
  REQUIRE(back);
  CHECK(*back == d);
  SlotData no_exit = d;
  no_exit.last_exit.reset();
  CHECK(*DecodeSlot(EncodeSlot(no_exit)) == no_exit);
}

TEST_CASE("Slot encoding: names longer than the fields -> cut and NUL-terminated", "[status]") {
  SlotData d = Sample(std::string(200, 'n'), 1);
  d.counter_page = std::string(100, 'p');
  const auto raw = EncodeSlot(d);
  CHECK(raw.name[SUP_STATUS_NAME_MAX - 1] == '\0');
  const auto back = DecodeSlot(raw);
  REQUIRE(back);
  CHECK(back->name == std::string(SUP_STATUS_NAME_MAX - 1, 'n'));
  CHECK(back->counter_page == std::string(SUP_STATUS_PAGE_MAX - 1, 'p'));
}

TEST_CASE("Slot decoding: unterminated name bytes -> bounded string, never an overrun", "[status]") {
  sup_status_slot_data raw;
  std::memset(&raw, 'x', sizeof(raw));
  raw.in_use = 1;
  raw.state = SUP_STATE_RUNNING;
  raw.health = SUP_HEALTH_UNKNOWN;
  const auto back = DecodeSlot(raw);
  REQUIRE(back);
  CHECK(back->name.size() == SUP_STATUS_NAME_MAX);
  CHECK(back->counter_page.size() == SUP_STATUS_PAGE_MAX);
}

TEST_CASE("Slot decoding: a state or health outside the enums -> invalid slot", "[status]") {
  auto raw = EncodeSlot(Sample("a", 1));
  raw.state = 7;
  CHECK_FALSE(DecodeSlot(raw));
  raw.state = SUP_STATE_FATAL;
  raw.health = 3;
  CHECK_FALSE(DecodeSlot(raw));
  raw.health = SUP_HEALTH_UNHEALTHY;
  CHECK(DecodeSlot(raw));
}

TEST_CASE("Seqlock: a slot left odd by a dead writer -> the read gives up", "[status]") {
  sup_status_slot slot;
  std::memset(&slot, 0, sizeof(slot));
  SeqlockWrite(&slot, EncodeSlot(Sample("a", 1)));
  CHECK(slot.seq == 2);
  CHECK(SeqlockRead(&slot));
  slot.seq = 3;
  CHECK_FALSE(SeqlockRead(&slot, 10));
  SeqlockWrite(&slot, EncodeSlot(Sample("a", 2)));  // the next write repairs it
  CHECK(slot.seq % 2 == 0);
  CHECK(SeqlockRead(&slot));
}

TEST_CASE("StatusSegment: published slots -> read back by name with header fields", "[status]") {
  ShmName shm;
  auto seg = StatusSegment::Create(shm.name, 0640, 4);
  REQUIRE(seg);
  REQUIRE((*seg)->Publish(0, Sample("web:0", 0)));
  REQUIRE((*seg)->Publish(2, Sample("web:2", 2)));
  auto snap = ReadNamedSegment(shm.name);
  REQUIRE(snap);
  CHECK(snap->info.supd_pid == getpid());
  CHECK(snap->info.generation == 1);
  CHECK_FALSE(snap->info.retired);
  CHECK(snap->info.capacity == 4);
  CHECK(snap->info.slots_used == 3);
  CHECK(snap->info.supd_start_ns > 0);
  REQUIRE(snap->slots.size() == 2);
  CHECK(snap->slots[0].index == 0);
  CHECK(snap->slots[0].data == Sample("web:0", 0));
  CHECK(snap->slots[1].index == 2);
  CHECK(snap->slots[1].data == Sample("web:2", 2));

  (*seg)->Clear(0);
  snap = ReadNamedSegment(shm.name);
  REQUIRE(snap);
  REQUIRE(snap->slots.size() == 1);
  CHECK(snap->slots[0].data.name == "web:2");
}

TEST_CASE("StatusSegment: shm_mode is applied whatever the umask", "[status]") {
  ShmName shm;
  const mode_t old = umask(077);
  auto seg = StatusSegment::Create(shm.name, 0644, 1);
  umask(old);
  REQUIRE(seg);
  struct stat st;
  REQUIRE(stat(("/dev/shm" + shm.name).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("StatusSegment: destruction -> the name is unlinked", "[status]") {
  ShmName shm;
  {
    auto seg = StatusSegment::Create(shm.name, 0600, 1);
    REQUIRE(seg);
  }
  auto again = ReadNamedSegment(shm.name);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == sup::ErrorCode::kNotFound);
}

TEST_CASE("StatusSegment: publishing past capacity -> new generation, old one retired", "[status]") {
  ShmName shm;
  auto seg = StatusSegment::Create(shm.name, 0600, 2);
  REQUIRE(seg);
  REQUIRE((*seg)->Publish(0, Sample("a", 0)));
  REQUIRE((*seg)->Publish(1, Sample("b", 1)));
  auto old = MappedSegment::Open(shm.name);
  REQUIRE(old);
  REQUIRE((*seg)->Publish(9, Sample("j", 9)));
  CHECK((*seg)->generation() == 2);
  CHECK((*seg)->capacity() >= 10);

  const auto old_snap = ReadSegment(old->data(), old->size());
  REQUIRE(old_snap);
  CHECK(old_snap->info.retired);
  CHECK(old_snap->info.generation == 1);

  auto snap = ReadNamedSegment(shm.name);
  REQUIRE(snap);
  CHECK_FALSE(snap->info.retired);
  CHECK(snap->info.generation == 2);
  REQUIRE(snap->slots.size() == 3);
  CHECK(snap->slots[0].data == Sample("a", 0));
  CHECK(snap->slots[1].data == Sample("b", 1));
  CHECK(snap->slots[2].index == 9);
  CHECK(snap->slots[2].data == Sample("j", 9));
}

TEST_CASE("StatusSegment: a segment whose supd is alive -> refused naming its pid", "[status]") {
  ShmName shm;
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    auto seg = StatusSegment::Create(shm.name, 0600, 1);
    const char ok = seg ? 'y' : 'n';
    (void)!write(ready[1], &ok, 1);
    pause();  // killed by the parent; the segment stays behind, as after a crash
    _exit(0);
  }
  close(ready[1]);
  char ok = 0;
  REQUIRE(read(ready[0], &ok, 1) == 1);
  close(ready[0]);
  REQUIRE(ok == 'y');

  auto refused = StatusSegment::Create(shm.name, 0600, 1);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == sup::ErrorCode::kBusy);
  CHECK(refused.error().Message() ==
        "status segment " + shm.name + " is in use by supd pid " + std::to_string(child));

  // Its supd is gone now: the stale segment is replaced.
  auto replaced = StatusSegment::Create(shm.name, 0600, 1);
  REQUIRE(replaced);
  auto snap = ReadNamedSegment(shm.name);
  REQUIRE(snap);
  CHECK(snap->info.supd_pid == getpid());
}

TEST_CASE("StatusSegment: a stale segment -> replaced and its counter pages unlinked", "[status]") {
  ShmName shm;
  const std::string page_name = CounterPageName(shm.name, 1, 1);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A supd that dies without cleaning up: nothing is destroyed.
    auto seg = StatusSegment::Create(shm.name, 0600, 1);
    auto page = CounterPage::Create(page_name, 0600);
    if (!seg || !page) _exit(1);
    SlotData d;
    d.name = "web";
    d.counter_page = page_name;
    if (!(*seg)->Publish(0, d)) _exit(1);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const int before = shm_open(page_name.c_str(), O_RDONLY, 0);
  CHECK(before >= 0);
  if (before >= 0) close(before);

  auto seg = StatusSegment::Create(shm.name, 0600, 1);
  REQUIRE(seg);
  CHECK(shm_open(page_name.c_str(), O_RDONLY, 0) == -1);
  CHECK(errno == ENOENT);
  shm_unlink(page_name.c_str());
}

TEST_CASE("StatusSegment: an object under the name that is not a segment -> replaced", "[status]") {
  ShmName shm;
  const int fd = shm_open(shm.name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(ftruncate(fd, 10) == 0);
  close(fd);
  auto seg = StatusSegment::Create(shm.name, 0600, 1);
  REQUIRE(seg);
  CHECK(ReadNamedSegment(shm.name));
}
