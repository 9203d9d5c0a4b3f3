#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "shm_test_util.h"
#include "status/counter_page.h"
#include "status/counter_reader.h"

using namespace sup::daemon;
using sup::daemon::testing::ShmName;

namespace {

sup_counter_page EmptyPage() {
  sup_counter_page p;
  std::memset(&p, 0, sizeof(p));
  p.header.magic = SUP_COUNTERS_MAGIC;
  p.header.version = SUP_COUNTERS_VERSION;
  p.header.header_size = sizeof(sup_counter_page_header);
  p.header.entry_size = sizeof(sup_counter_entry);
  p.header.capacity = SUP_COUNTERS_PER_PAGE;
  return p;
}

void Put(sup_counter_page& p, const char* name, sup_counter_kind kind, std::uint64_t value) {
  sup_counter_entry& e = p.entries[p.header.count++];
  std::strncpy(e.name, name, sizeof(e.name));
  e.kind = kind;
  e.value = value;
  e.state = SUP_COUNTER_PUBLISHED;
}

// What a mapping of the page (as a worker writes it) looks like through the fd.
sup_counter_page* MapRw(int fd) {
  void* m = mmap(nullptr, sizeof(sup_counter_page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  REQUIRE(m != MAP_FAILED);
  return static_cast<sup_counter_page*>(m);
}

}  // namespace

TEST_CASE("ReadCounters: published entries -> name, kind and value", "[counters]") {
  sup_counter_page p = EmptyPage();
  Put(p, "requests_total", SUP_COUNTER_KIND_COUNTER, 42);
  Put(p, "queue:depth", SUP_COUNTER_KIND_GAUGE, static_cast<std::uint64_t>(-3));
  const auto values = ReadCounters(&p, sizeof(p));
  REQUIRE(values.size() == 2);
  CHECK(values[0] == CounterValue{"requests_total", SUP_COUNTER_KIND_COUNTER, 42});
  CHECK(values[1].name == "queue:depth");
  CHECK(values[1].kind == SUP_COUNTER_KIND_GAUGE);
  CHECK(values[1].gauge() == -3);
}

TEST_CASE("ReadCounters: invalid entries -> skipped, the valid ones kept", "[counters]") {
  sup_counter_page p = EmptyPage();
  Put(p, "ok_1", SUP_COUNTER_KIND_COUNTER, 1);
  Put(p, "9starts_with_digit", SUP_COUNTER_KIND_COUNTER, 2);
  Put(p, "has space", SUP_COUNTER_KIND_COUNTER, 3);
  Put(p, "bad_kind", static_cast<sup_counter_kind>(9), 4);
  Put(p, "ok_1", SUP_COUNTER_KIND_COUNTER, 5);  // duplicate: the first wins
  Put(p, "claimed", SUP_COUNTER_KIND_COUNTER, 6);
  p.entries[5].state = SUP_COUNTER_CLAIMED;
  Put(p, "", SUP_COUNTER_KIND_COUNTER, 7);
  Put(p, "ok_2", SUP_COUNTER_KIND_GAUGE, 8);
  std::memset(p.entries[p.header.count].name, 'a', sizeof(p.entries[0].name));  // no NUL
  p.entries[p.header.count].kind = SUP_COUNTER_KIND_COUNTER;
  p.entries[p.header.count].state = SUP_COUNTER_PUBLISHED;
  ++p.header.count;
  const auto values = ReadCounters(&p, sizeof(p));
  REQUIRE(values.size() == 2);
  CHECK(values[0] == CounterValue{"ok_1", SUP_COUNTER_KIND_COUNTER, 1});
  CHECK(values[1] == CounterValue{"ok_2", SUP_COUNTER_KIND_GAUGE, 8});
}

TEST_CASE("ReadCounters: count beyond the page or a short page -> clamped", "[counters]") {
  sup_counter_page p = EmptyPage();
  for (int i = 0; i < 64; ++i) Put(p, ("c" + std::to_string(i)).c_str(), SUP_COUNTER_KIND_COUNTER, i);
  p.header.count = 0xffffffffu;
  CHECK(ReadCounters(&p, sizeof(p)).size() == 64);
  // Only the header and 3 whole entries present.
  CHECK(ReadCounters(&p, sizeof(p.header) + 3 * sizeof(sup_counter_entry) + 10).size() == 3);
  CHECK(ReadCounters(&p, sizeof(p.header) - 1).empty());
  CHECK(ReadCounters(nullptr, sizeof(p)).empty());
  p.header.magic ^= 1;
  CHECK(ReadCounters(&p, sizeof(p)).empty());
  CHECK(ReadHeartbeat(&p, sizeof(p)) == 0);
}

TEST_CASE("ReadCounters: random and misaligned pages -> no crash, only valid unique names", "[counters]") {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> buf(sizeof(sup_counter_page) + 16);
  for (int round = 0; round < 2000; ++round) {
    sup_counter_page p = EmptyPage();
    auto* bytes = reinterpret_cast<unsigned char*>(&p);
    // Keep the header valid half of the time so the entries themselves get exercised.
    const std::size_t from = round % 2 == 0 ? sizeof(p.header) : 0;
    for (std::size_t i = from; i < sizeof(p); ++i) {
      const auto r = rng();
      // Bias towards plausible bytes: name characters and small states/kinds.
      bytes[i] = (r & 3) == 0 ? static_cast<unsigned char>('a' + r % 26)
                 : (r & 3) == 1 ? static_cast<unsigned char>(r % 3) : static_cast<unsigned char>(r >> 8);
    }
    if (round % 2 == 0) p.header.count = static_cast<std::uint32_t>(rng() % 80);
    const std::size_t size = rng() % (sizeof(p) + 1);
    const std::size_t offset = 1 + rng() % 7;  // misaligned on purpose
    std::memcpy(buf.data() + offset, &p, sizeof(p));
    const auto values = ReadCounters(buf.data() + offset, size);
    std::set<std::string> names;
    for (const auto& v : values) {
      CHECK(ValidCounterName(v.name));
      CHECK(names.insert(v.name).second);
    }
    CHECK(values.size() <= SUP_COUNTERS_PER_PAGE);
    (void)ReadHeartbeat(buf.data() + offset, size);
  }
}

TEST_CASE("ValidCounterName: the agent's charset and length", "[counters]") {
  CHECK(ValidCounterName("a"));
  CHECK(ValidCounterName("_x:y9"));
  CHECK(ValidCounterName(std::string(47, 'a')));
  CHECK_FALSE(ValidCounterName(std::string(48, 'a')));
  CHECK_FALSE(ValidCounterName(""));
  CHECK_FALSE(ValidCounterName("1a"));
  CHECK_FALSE(ValidCounterName("a-b"));
  CHECK_FALSE(ValidCounterName("é"));
}

TEST_CASE("CounterPage: a fresh page -> valid empty header, readable through the fd", "[counters]") {
  auto page = CounterPage::Create("", 0600);
  REQUIRE(page);
  CHECK((*page)->fd() >= 0);
  CHECK(fcntl((*page)->fd(), F_GETFD) & FD_CLOEXEC);
  CHECK(fcntl((*page)->fd(), F_GETFL) & O_NOATIME);  // supd's reads leave atime alone
  CHECK((*page)->Read().empty());
  CHECK((*page)->HeartbeatNs() == 0);
  sup_counter_page* p = MapRw((*page)->fd());
  CHECK(p->header.magic == SUP_COUNTERS_MAGIC);
  CHECK(p->header.capacity == SUP_COUNTERS_PER_PAGE);
  std::strcpy(p->entries[0].name, "hits");
  p->entries[0].kind = SUP_COUNTER_KIND_COUNTER;
  p->entries[0].value = 9;
  p->entries[0].state = SUP_COUNTER_PUBLISHED;
  p->header.count = 1;
  p->header.heartbeat_ns = 123;
  const auto values = (*page)->Read();
  REQUIRE(values.size() == 1);
  CHECK(values[0] == CounterValue{"hits", SUP_COUNTER_KIND_COUNTER, 9});
  CHECK((*page)->HeartbeatNs() == 123);
  munmap(p, sizeof(sup_counter_page));
}

TEST_CASE("CounterPage: a worker shrinking its page -> reads stay safe and empty", "[counters]") {
  auto page = CounterPage::Create("", 0600);
  REQUIRE(page);
  REQUIRE(ftruncate((*page)->fd(), 0) == 0);
  CHECK((*page)->Read().empty());
  CHECK((*page)->HeartbeatNs() == 0);
}

TEST_CASE("CounterPage: entries are read as far as the header claims and the file holds", "[counters]") {
  auto page = CounterPage::Create("", 0600);
  REQUIRE(page);
  sup_counter_page* p = MapRw((*page)->fd());
  sup_counter_page filled = EmptyPage();
  Put(filled, "first", SUP_COUNTER_KIND_COUNTER, 1);
  Put(filled, "second", SUP_COUNTER_KIND_GAUGE, 2);
  Put(filled, "third", SUP_COUNTER_KIND_COUNTER, 3);
  std::memcpy(p, &filled, sizeof(filled));
  munmap(p, sizeof(sup_counter_page));
  CHECK((*page)->Read().size() == 3);

  // A worker cut its page inside the second entry: what is left of it is not an entry.
  const off_t cut = sizeof(sup_counter_page_header) + sizeof(sup_counter_entry) + 7;
  REQUIRE(ftruncate((*page)->fd(), cut) == 0);
  const auto values = (*page)->Read();
  REQUIRE(values.size() == 1);
  CHECK(values[0] == CounterValue{"first", SUP_COUNTER_KIND_COUNTER, 1});
}

TEST_CASE("CounterPage: a named page -> no write bit, readable by name, unlinked at the end", "[counters]") {
  ShmName shm;
  const std::string name = CounterPageName(shm.name, getpid(), 3);
  CHECK(name == shm.name + "." + std::to_string(getpid()) + ".3");
  CHECK(CounterPageName("", 1, 1).empty());
  {
    auto page = CounterPage::Create(name, 0640);
    REQUIRE(page);
    struct stat st;
    REQUIRE(fstat((*page)->fd(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0440);
    sup_counter_page* p = MapRw((*page)->fd());  // the inherited fd still writes
    std::strcpy(p->entries[0].name, "n");
    p->entries[0].kind = SUP_COUNTER_KIND_GAUGE;
    p->entries[0].value = 5;
    p->entries[0].state = SUP_COUNTER_PUBLISHED;
    p->header.count = 1;
    munmap(p, sizeof(sup_counter_page));
    const auto values = ReadCountersByName(name);
    REQUIRE(values);
    REQUIRE(values->size() == 1);
    CHECK((*values)[0].value == 5);
    if (geteuid() != 0) {
      CHECK(shm_open(name.c_str(), O_RDWR, 0) == -1);
      CHECK(errno == EACCES);
    }
  }
  const auto gone = ReadCountersByName(name);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == sup::ErrorCode::kNotFound);
}

TEST_CASE("CounterPage: a name too long for the slot field -> error", "[counters]") {
  auto page = CounterPage::Create("/" + std::string(80, 'x'), 0600);
  REQUIRE_FALSE(page);
}
