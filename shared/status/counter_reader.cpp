#include "status/counter_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>

namespace sup::daemon {
namespace {

// A private, aligned copy of a page, so atomics (and struct access) are well-defined on it.
struct PageCopy {
  alignas(8) unsigned char bytes[sizeof(sup_counter_page)];
  std::size_t size = 0;
};

template <class T>
T Load(const T& field, std::memory_order order) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(order);
}

// Reads a page that is already aligned and at least `size` long.
std::vector<CounterValue> Decode(const sup_counter_page* page, std::size_t size) {
  std::vector<CounterValue> out;
  if (size < sizeof(sup_counter_page_header)) return out;
  const sup_counter_page_header& h = page->header;
  if (h.magic != SUP_COUNTERS_MAGIC || h.version != SUP_COUNTERS_VERSION ||
      h.header_size != sizeof(sup_counter_page_header) || h.entry_size != sizeof(sup_counter_entry)) {
    return out;
  }
  // The layout is fixed: the page's own capacity and count are only upper bounds to clamp.
  const std::size_t fit = (size - sizeof(sup_counter_page_header)) / sizeof(sup_counter_entry);
  const std::size_t count = std::min<std::size_t>(
      {Load(h.count, std::memory_order_acquire), SUP_COUNTERS_PER_PAGE, fit});
  for (std::size_t i = 0; i < count; ++i) {
    const sup_counter_entry& e = page->entries[i];
    if (Load(e.state, std::memory_order_acquire) != SUP_COUNTER_PUBLISHED) continue;
    if (e.kind != SUP_COUNTER_KIND_COUNTER && e.kind != SUP_COUNTER_KIND_GAUGE) continue;
    const std::string_view name(e.name, strnlen(e.name, sizeof(e.name)));
    if (name.size() == sizeof(e.name) || !ValidCounterName(name)) continue;
    if (std::any_of(out.begin(), out.end(), [&](const CounterValue& v) { return v.name == name; })) continue;
    out.push_back({std::string(name), static_cast<sup_counter_kind>(e.kind),
                   Load(e.value, std::memory_order_relaxed)});
  }
  return out;
}

std::unique_ptr<PageCopy> CopyOf(const void* page, std::size_t size) {
  auto copy = std::make_unique<PageCopy>();
  copy->size = std::min(size, sizeof(copy->bytes));
  std::memcpy(copy->bytes, page, copy->size);
  return copy;
}

// Reads up to `size` bytes at `offset` into `out`: fewer only at the end of the file.
Result<std::size_t> PreadFully(int fd, unsigned char* out, std::size_t size, std::size_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(SystemError("read counter page", errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

bool ValidCounterName(std::string_view name) {
  if (name.empty() || name.size() > SUP_COUNTER_NAME_MAX) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

std::vector<CounterValue> ReadCounters(const void* page, std::size_t size) {
  if (page == nullptr) return {};
  if (reinterpret_cast<std::uintptr_t>(page) % alignof(sup_counter_page) == 0) {
    return Decode(static_cast<const sup_counter_page*>(page), size);
  }
  const auto copy = CopyOf(page, size);
  return Decode(reinterpret_cast<const sup_counter_page*>(copy->bytes), copy->size);
}

std::uint64_t ReadHeartbeat(const void* page, std::size_t size) {
  if (page == nullptr || size < sizeof(sup_counter_page_header)) return 0;
  sup_counter_page_header h;
  std::memcpy(&h, page, sizeof(h));  // one 8-byte field: a torn read is impossible when aligned
  if (reinterpret_cast<std::uintptr_t>(page) % 8 == 0) {
    h.heartbeat_ns = Load(static_cast<const sup_counter_page_header*>(page)->heartbeat_ns,
                          std::memory_order_acquire);
  }
  if (h.magic != SUP_COUNTERS_MAGIC || h.version != SUP_COUNTERS_VERSION) return 0;
  return h.heartbeat_ns;
}

Result<std::vector<CounterValue>> ReadCountersFromFd(int fd) {
  // The header first, then only the entries it claims: most pages never get a counter, and
  // `status` reads every page (9 800 of them at scale, where reading whole 4 KiB pages made
  // the reply 15 % slower).
  PageCopy copy;
  constexpr std::size_t kHeader = sizeof(sup_counter_page_header);
  auto header = PreadFully(fd, copy.bytes, kHeader, 0);
  if (!header) return Fail(header.error());
  copy.size = *header;
  if (copy.size == kHeader) {
    sup_counter_page_header h;
    std::memcpy(&h, copy.bytes, kHeader);
    const std::size_t count = std::min<std::size_t>(h.count, SUP_COUNTERS_PER_PAGE);
    auto entries = PreadFully(fd, copy.bytes + kHeader, count * sizeof(sup_counter_entry), kHeader);
    if (!entries) return Fail(entries.error());
    copy.size += *entries;
  }
  return Decode(reinterpret_cast<const sup_counter_page*>(copy.bytes), copy.size);
}

std::uint64_t ReadHeartbeatFromFd(int fd) {
  alignas(8) unsigned char buf[sizeof(sup_counter_page_header)];
  ssize_t n;
  do {
    n = pread(fd, buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof(buf))) return 0;
  return ReadHeartbeat(buf, sizeof(buf));
}

Result<std::vector<CounterValue>> ReadCountersByName(const std::string& shm_name) {
  const int fd = shm_open(shm_name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    return Fail(Error{err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kSystem, err,
                      "open counter page " + shm_name});
  }
  auto values = ReadCountersFromFd(fd);
  close(fd);
  return values;
}

}  // namespace sup::daemon
