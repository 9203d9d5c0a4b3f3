// libFuzzer target: the readers of shared memory written by others. Counter pages are written
// by workers (untrusted, any user); the status segment by supd but read by anyone. Input is a
// page/segment image, read at any alignment (ReadCounters promises that) and through an fd
// (ReadCountersFromFd's pread path, via a memfd). Invariants: no crash, every counter returned
// has a valid name and kind, no duplicates, at most SUP_COUNTERS_PER_PAGE.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "status/counter_reader.h"
#include "status/segment_reader.h"

namespace {

namespace d = sup::daemon;

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckCounters(const std::vector<d::CounterValue>& values) {
  Require(values.size() <= SUP_COUNTERS_PER_PAGE);
  std::set<std::string> names;
  for (const auto& v : values) {
    Require(d::ValidCounterName(v.name));
    Require(v.kind == SUP_COUNTER_KIND_COUNTER || v.kind == SUP_COUNTER_KIND_GAUGE);
    Require(names.insert(v.name).second);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  // Aligned and misaligned copies: the fuzzer's buffer has its own alignment.
  std::vector<std::uint64_t> words(size / 8 + 2);
  auto* aligned = reinterpret_cast<unsigned char*>(words.data());
  std::memcpy(aligned, data, size);
  CheckCounters(d::ReadCounters(aligned, size));
  (void)d::ReadHeartbeat(aligned, size);
  std::vector<unsigned char> shifted(size + 1);
  std::memcpy(shifted.data() + 1, data, size);
  CheckCounters(d::ReadCounters(shifted.data() + 1, size));
  (void)d::ReadHeartbeat(shifted.data() + 1, size);

  // The status segment decoder needs an aligned mapping, as mmap gives; patience 0: a slot
  // left mid-write (odd seq) is counted unreadable at once.
  if (const auto snap = d::ReadSegment(aligned, size, 0)) {
    Require(snap->slots.size() + snap->unreadable_slots <= snap->info.capacity);
    for (const auto& slot : snap->slots) Require(slot.index < snap->info.capacity);
  }

  const int fd = memfd_create("sup-fuzz-page", MFD_CLOEXEC);
  if (fd >= 0) {
    if (write(fd, data, size) == static_cast<ssize_t>(size)) {
      if (auto r = d::ReadCountersFromFd(fd)) CheckCounters(*r);
      (void)d::ReadHeartbeatFromFd(fd);
    }
    close(fd);
  }
  return 0;
}
