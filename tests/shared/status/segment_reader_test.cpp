#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "shm_test_util.h"
#include "status/segment_reader.h"
#include "status/slot_seqlock.h"
#include "status/status_segment.h"

using namespace sup::daemon;
using sup::daemon::testing::ShmName;

namespace {

// Every field of a stress slot derives from (slot, k), so a torn copy cannot pass Consistent().
SlotData StressSlot(std::uint32_t slot, std::uint64_t k) {
  SlotData d;
  d.name = "s" + std::to_string(slot) + "-" + std::to_string(k);
  d.pid = static_cast<pid_t>(k % 4'000'000);
  d.state = static_cast<sup_state>(k % 7);
  d.ready = (k & 1) != 0;
  d.health = static_cast<sup_health>(k % 3);
  d.start_time_ns = k * 7;
  d.start_mono_ns = k * 11;
  d.restarts = k;
  d.last_exit = SlotExit{static_cast<int>(k % 256), static_cast<int>(k % 31), (k & 2) != 0, k * 13, k * 17};
  d.captured_bytes = k * 3;
  d.dropped_lines = k ^ 0x5555;
  d.counter_page = "/p" + std::to_string(k);
  return d;
}

bool Consistent(std::uint32_t slot, const SlotData& d) {
  const std::string prefix = "s" + std::to_string(slot) + "-";
  if (d.name.rfind(prefix, 0) != 0) return false;
  const std::uint64_t k = std::stoull(d.name.substr(prefix.size()));
  return d == StressSlot(slot, k);
}

std::vector<unsigned char> ValidSegmentBytes(std::uint32_t capacity) {
  std::vector<unsigned char> bytes(sizeof(sup_status_header) + capacity * sizeof(sup_status_slot));
  auto* h = reinterpret_cast<sup_status_header*>(bytes.data());
  h->magic = SUP_STATUS_MAGIC;
  h->version = SUP_STATUS_VERSION;
  h->header_size = sizeof(sup_status_header);
  h->slot_size = sizeof(sup_status_slot);
  h->capacity = capacity;
  h->slots_used = capacity;
  return bytes;
}

}  // namespace

TEST_CASE("ReadSegment: null, short or foreign bytes -> nullopt", "[status][reader]") {
  CHECK_FALSE(ReadSegment(nullptr, 4096));
  std::vector<unsigned char> bytes = ValidSegmentBytes(2);
  CHECK(ReadSegment(bytes.data(), bytes.size()));
  CHECK_FALSE(ReadSegment(bytes.data(), sizeof(sup_status_header) - 1));
  CHECK_FALSE(ReadSegment(bytes.data(), bytes.size() - 1));  // capacity beyond the mapping

  auto* h = reinterpret_cast<sup_status_header*>(bytes.data());
  h->version = 99;
  CHECK_FALSE(ReadSegment(bytes.data(), bytes.size()));
  h->version = SUP_STATUS_VERSION;
  h->slot_size = 8;
  CHECK_FALSE(ReadSegment(bytes.data(), bytes.size()));
  h->slot_size = sizeof(sup_status_slot);
  h->capacity = 0xffffffffu;
  CHECK_FALSE(ReadSegment(bytes.data(), bytes.size()));
  h->capacity = 2;
  h->magic = 0;
  CHECK_FALSE(ReadSegment(bytes.data(), bytes.size()));
}

TEST_CASE("ReadSegment: slots_used beyond capacity -> only capacity slots scanned", "[status][reader]") {
  std::vector<unsigned char> bytes = ValidSegmentBytes(2);
  auto* h = reinterpret_cast<sup_status_header*>(bytes.data());
  h->slots_used = 1'000'000;
  auto* slots = reinterpret_cast<sup_status_slot*>(bytes.data() + sizeof(sup_status_header));
  SeqlockWrite(&slots[1], EncodeSlot(StressSlot(1, 5)));
  const auto snap = ReadSegment(bytes.data(), bytes.size());
  REQUIRE(snap);
  REQUIRE(snap->slots.size() == 1);
  CHECK(snap->slots[0].index == 1);
}

TEST_CASE("ReadSegment: random bytes behind a valid header -> no crash, bounded strings", "[status][reader]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<unsigned char> bytes = ValidSegmentBytes(8);
    for (std::size_t i = sizeof(sup_status_header); i < bytes.size(); ++i) {
      bytes[i] = static_cast<unsigned char>(rng());
    }
    // Even sequence numbers, so most slots decode; the rest stay odd and are skipped.
    auto* slots = reinterpret_cast<sup_status_slot*>(bytes.data() + sizeof(sup_status_header));
    for (int i = 0; i < 8; ++i) {
      if (round % 2 == 0) slots[i].seq &= ~std::uint64_t{1};
      else slots[i].seq |= 1;
    }
    const auto snap = ReadSegment(bytes.data(), bytes.size(), /*patience_ms=*/0);
    REQUIRE(snap);
    for (const auto& s : snap->slots) {
      CHECK(s.data.name.size() <= SUP_STATUS_NAME_MAX);
      CHECK(s.data.counter_page.size() <= SUP_STATUS_PAGE_MAX);
    }
    if (round % 2 == 1) {
      CHECK(snap->slots.empty());
      CHECK(snap->unreadable_slots == 8);
    }
    (void)StateName(static_cast<std::uint32_t>(rng()));
    (void)HealthName(static_cast<std::uint32_t>(rng()));
  }
}

TEST_CASE("Seqlock stress: writers publish while readers copy -> never a torn slot", "[status][stress]") {
  ShmName shm;
  constexpr std::uint32_t kSlots = 4;
  auto seg = StatusSegment::Create(shm.name, 0600, kSlots);
  REQUIRE(seg);
  for (std::uint32_t i = 0; i < kSlots; ++i) REQUIRE((*seg)->Publish(i, StressSlot(i, 0)));
  auto mapped = MappedSegment::Open(shm.name);
  REQUIRE(mapped);

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> snapshots{0}, torn{0}, missing{0};
  auto reader = [&] {
    while (!done.load(std::memory_order_relaxed)) {
      const auto snap = ReadSegment(mapped->data(), mapped->size());
      if (!snap || snap->slots.size() != kSlots) {
        missing.fetch_add(1);
        continue;
      }
      for (const auto& s : snap->slots) {
        if (!Consistent(s.index, s.data)) torn.fetch_add(1);
      }
      snapshots.fetch_add(1);
    }
  };
  std::thread r1(reader), r2(reader);
  // One writer, as in supd (the segment has a single writer by design). It runs for about two
  // seconds but never fewer than kMinWrites publishes, however slow the machine.
  constexpr std::uint64_t kMinWrites = 50'000, kMaxWrites = 3'000'000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::uint64_t writes = 0, failed_publishes = 0;
  for (std::uint64_t k = 1; k <= kMaxWrites; ++k) {
    if (!(*seg)->Publish(static_cast<std::uint32_t>(k % kSlots), StressSlot(k % kSlots, k))) ++failed_publishes;
    ++writes;
    if (k >= kMinWrites && (k & 0xfff) == 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  // Let readers overlap at least some writes even on a starved machine, then stop them.
  while (snapshots.load() < 100 && std::chrono::steady_clock::now() < deadline + std::chrono::seconds(15)) {
    std::this_thread::yield();
  }
  done = true;
  r1.join();
  r2.join();
  INFO("writes " << writes << ", snapshots " << snapshots.load());
  CHECK(failed_publishes == 0);
  CHECK(snapshots.load() >= 100);
  CHECK(torn.load() == 0);
  CHECK(missing.load() == 0);
}

TEST_CASE("ReadNamedSegment: no segment under the name -> kNotFound", "[status][reader]") {
  auto snap = ReadNamedSegment("/sup-test-does-not-exist");
  REQUIRE_FALSE(snap);
  CHECK(snap.error().code == sup::ErrorCode::kNotFound);
}
