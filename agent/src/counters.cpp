// The counter half of libsupagent: maps the page named by $SUP_COUNTERS_FD once, registers names
// with a CAS on the page's entry count, and updates values with relaxed atomics (no syscall).
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sup/agent.h"
#include "sup/status_shm.h"

namespace sup::agent {
namespace {

// A writer preempted between claiming an entry and publishing it keeps every registration that
// scans past the entry waiting; on a loaded machine that can last milliseconds. A writer that
// died there never publishes, so past this wait the entry is given up for the process's lifetime.
constexpr uint64_t kClaimWaitNs = 1'000'000'000;

bool ValidName(const char* name) noexcept {
  if (name == nullptr || name[0] == '\0') return false;
  size_t i = 0;
  for (; name[i] != '\0'; ++i) {
    if (i >= SUP_COUNTER_NAME_MAX) return false;
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

sup_counter_page* MapPage() noexcept {
  const char* env = getenv("SUP_COUNTERS_FD");
  if (env == nullptr || env[0] == '\0') return nullptr;
  char* end = nullptr;
  errno = 0;
  const long fd = strtol(env, &end, 10);
  if (errno != 0 || *end != '\0' || fd < 0 || fd > INT_MAX) return nullptr;
  struct stat st;
  if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size < static_cast<off_t>(sizeof(sup_counter_page))) {
    return nullptr;
  }
  void* map = mmap(nullptr, sizeof(sup_counter_page), PROT_READ | PROT_WRITE, MAP_SHARED,
                   static_cast<int>(fd), 0);
  if (map == MAP_FAILED) return nullptr;
  auto* page = static_cast<sup_counter_page*>(map);
  const sup_counter_page_header& h = page->header;
  if (h.magic != SUP_COUNTERS_MAGIC || h.version != SUP_COUNTERS_VERSION ||
      h.header_size != offsetof(sup_counter_page, entries) ||
      h.entry_size != sizeof(sup_counter_entry) || h.capacity != SUP_COUNTERS_PER_PAGE) {
    munmap(map, sizeof(sup_counter_page));
    return nullptr;
  }
  return page;
}

// The process's one page. An agent speaks for its whole process, so this is the library's only
// process-wide state: set once, never changed, never unmapped. A hand-rolled once (rather than a
// function-local static) keeps the library free of libstdc++'s guard functions: libc only.
constexpr uintptr_t kUnmapped = 0;
constexpr uintptr_t kNoPage = 1;
std::atomic<uintptr_t> g_page{kUnmapped};

sup_counter_page* Page() noexcept {
  uintptr_t p = g_page.load(std::memory_order_acquire);
  if (p == kUnmapped) {
    sup_counter_page* mapped = MapPage();
    const uintptr_t want = mapped != nullptr ? reinterpret_cast<uintptr_t>(mapped) : kNoPage;
    if (g_page.compare_exchange_strong(p, want, std::memory_order_acq_rel)) {
      p = want;
    } else if (mapped != nullptr) {
      munmap(mapped, sizeof(sup_counter_page));  // another thread won; `p` holds its result
    }
  }
  return p == kNoPage ? nullptr : reinterpret_cast<sup_counter_page*>(p);
}

uint64_t MonotonicNs() noexcept {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Entries this process waited kClaimWaitNs for in vain, one bit per index: waited for once only.
std::atomic<uint64_t> g_abandoned{0};
static_assert(SUP_COUNTERS_PER_PAGE <= 64, "g_abandoned has one bit per entry");

// Waits for entry `index`, below `count`, which another writer has claimed; false if it is not
// published in time. Its state is still FREE between the claiming CAS on `count` and the
// publishing store, so FREE means "being written" here, exactly like CLAIMED: skipping it would
// let this thread register the same name a second time, and readers keep only the first of two.
bool WaitPublished(sup_counter_page& page, uint32_t index) noexcept {
  const uint64_t bit = uint64_t{1} << index;
  if ((g_abandoned.load(std::memory_order_relaxed) & bit) != 0) return false;
  std::atomic_ref<uint32_t> state(page.entries[index].state);
  uint64_t deadline = 0;
  for (int spin = 0;; ++spin) {
    const uint32_t s = state.load(std::memory_order_acquire);
    if (s == SUP_COUNTER_PUBLISHED) return true;
    if (s != SUP_COUNTER_FREE && s != SUP_COUNTER_CLAIMED) return false;
    if (spin < 1024) {  // the writer is usually a few stores from done
      if (spin >= 64) sched_yield();
      continue;
    }
    const uint64_t now = MonotonicNs();
    if (deadline == 0) deadline = now + kClaimWaitNs;
    if (now >= deadline) {
      g_abandoned.fetch_or(bit, std::memory_order_relaxed);
      return false;
    }
    const struct timespec pause = {0, 100000};  // 100 µs: the writer is off the CPU
    nanosleep(&pause, nullptr);
  }
}

sup_counter_t* Register(const char* name, uint32_t kind) noexcept {
  if (!ValidName(name)) {
    errno = EINVAL;
    return nullptr;
  }
  sup_counter_page* page = Page();
  if (page == nullptr) {
    errno = ENODEV;
    return nullptr;
  }
  std::atomic_ref<uint32_t> count(page->header.count);
  uint32_t claimed = count.load(std::memory_order_acquire);
  uint32_t scanned = 0;
  for (;;) {
    const uint32_t limit = claimed < SUP_COUNTERS_PER_PAGE ? claimed : SUP_COUNTERS_PER_PAGE;
    for (; scanned < limit; ++scanned) {
      if (!WaitPublished(*page, scanned)) continue;
      sup_counter_entry& e = page->entries[scanned];
      if (strncmp(e.name, name, sizeof(e.name)) != 0) continue;
      if (e.kind != kind) {
        errno = EEXIST;
        return nullptr;
      }
      return reinterpret_cast<sup_counter_t*>(&e);
    }
    if (claimed >= SUP_COUNTERS_PER_PAGE) {
      errno = ENOSPC;
      return nullptr;
    }
    // On failure `claimed` is reloaded and the loop scans what the winner registered.
    if (count.compare_exchange_weak(claimed, claimed + 1, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      sup_counter_entry& e = page->entries[claimed];
      memset(e.name, 0, sizeof(e.name));
      memcpy(e.name, name, strlen(name));
      e.kind = kind;
      std::atomic_ref<uint64_t>(e.value).store(0, std::memory_order_relaxed);
      std::atomic_ref<uint32_t>(e.state).store(SUP_COUNTER_PUBLISHED, std::memory_order_release);
      return reinterpret_cast<sup_counter_t*>(&e);
    }
  }
}

}  // namespace
}  // namespace sup::agent

extern "C" {

sup_counter_t* sup_counter(const char* name) {
  return sup::agent::Register(name, SUP_COUNTER_KIND_COUNTER);
}

sup_counter_t* sup_gauge(const char* name) {
  return sup::agent::Register(name, SUP_COUNTER_KIND_GAUGE);
}

void sup_counter_add(sup_counter_t* counter, uint64_t delta) {
  if (counter == nullptr) return;
  auto* e = reinterpret_cast<sup_counter_entry*>(counter);
  std::atomic_ref<uint64_t>(e->value).fetch_add(delta, std::memory_order_relaxed);
}

void sup_gauge_set(sup_counter_t* gauge, int64_t value) {
  if (gauge == nullptr) return;
  auto* e = reinterpret_cast<sup_counter_entry*>(gauge);
  std::atomic_ref<uint64_t>(e->value).store(static_cast<uint64_t>(value), std::memory_order_relaxed);
}

void sup_heartbeat(void) {
  sup_counter_page* page = sup::agent::Page();
  if (page == nullptr) return;
  std::atomic_ref<uint64_t>(page->header.heartbeat_ns).store(sup::agent::MonotonicNs(),
                                                             std::memory_order_release);
}

int sup_agent_has_counters(void) { return sup::agent::Page() != nullptr ? 1 : 0; }

}  // extern "C"
