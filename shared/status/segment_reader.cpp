#include "status/segment_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "status/slot_seqlock.h"

namespace sup::daemon {
namespace {

template <class T>
T LoadAcquire(const T& field) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_acquire);
}

// How often ReadNamedSegment reopens before giving up: a growth unlinks and recreates the name
// within microseconds, so these bounds are only reached when something is really wrong.
constexpr int kOpenAttempts = 200;
constexpr long kRetryPauseNs = 5'000'000;

void Pause() {
  timespec ts{0, kRetryPauseNs};
  nanosleep(&ts, nullptr);
}

}  // namespace

std::optional<Snapshot> ReadSegment(const void* base, std::size_t size, int patience_ms) {
  if (base == nullptr || size < sizeof(sup_status_header)) return std::nullopt;
  const auto* h = static_cast<const sup_status_header*>(base);
  if (LoadAcquire(h->magic) != SUP_STATUS_MAGIC || h->version != SUP_STATUS_VERSION) {
    return std::nullopt;
  }
  const std::uint64_t header_size = h->header_size;
  const std::uint64_t slot_size = h->slot_size;
  const std::uint64_t capacity = h->capacity;
  if (header_size < sizeof(sup_status_header) || slot_size < sizeof(sup_status_slot) ||
      slot_size % 8 != 0 || header_size % 8 != 0 || header_size + capacity * slot_size > size) {
    return std::nullopt;
  }
  Snapshot snap;
  snap.info.supd_pid = static_cast<pid_t>(h->supd_pid);
  snap.info.supd_start_ns = h->supd_start_ns;
  snap.info.supd_start_mono_ns = h->supd_start_mono_ns;
  snap.info.supd_start_ticks = h->supd_start_ticks;
  snap.info.generation = LoadAcquire(h->generation);
  snap.info.capacity = static_cast<std::uint32_t>(capacity);
  const std::uint32_t used = LoadAcquire(h->slots_used);
  snap.info.slots_used = used;
  const std::uint32_t scan = used < capacity ? used : static_cast<std::uint32_t>(capacity);
  const auto* bytes = static_cast<const unsigned char*>(base);
  for (std::uint32_t i = 0; i < scan; ++i) {
    const auto* slot = reinterpret_cast<const sup_status_slot*>(bytes + header_size + i * slot_size);
    const auto raw = SeqlockRead(slot, patience_ms);
    if (!raw) {
      ++snap.unreadable_slots;
      continue;
    }
    if (auto data = DecodeSlot(*raw)) snap.slots.push_back({i, std::move(*data)});
  }
  // Read last: a reader that sees retired after its slots knows they may be stale.
  snap.info.retired = LoadAcquire(h->retired) != 0;
  return snap;
}

Result<MappedSegment> MappedSegment::Open(const std::string& name) {
  const int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    const ErrorCode code = err == ENOENT ? ErrorCode::kNotFound
                           : (err == EACCES || err == EPERM) ? ErrorCode::kPermission
                                                             : ErrorCode::kSystem;
    return Fail(Error{code, err, "open status segment " + name});
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return Fail(SystemError("stat status segment " + name, err));
  }
  if (st.st_size < static_cast<off_t>(sizeof(sup_status_header))) {
    close(fd);
    return Fail(Error{ErrorCode::kProtocol, 0, name + " is not a sup status segment"});
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  const int err = errno;
  close(fd);  // the mapping keeps the object alive
  if (map == MAP_FAILED) return Fail(SystemError("map status segment " + name, err));
  return MappedSegment(map, size);
}

MappedSegment::MappedSegment(MappedSegment&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedSegment& MappedSegment::operator=(MappedSegment&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedSegment::~MappedSegment() {
  if (data_ != nullptr) munmap(data_, size_);
}

Result<Snapshot> ReadNamedSegment(const std::string& name) {
  std::optional<Error> last;
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    auto mapped = MappedSegment::Open(name);
    if (!mapped) {
      // ENOENT right after a retired segment is a growth in progress; otherwise it is final.
      if (mapped.error().code != ErrorCode::kNotFound || !last) return Fail(mapped.error());
      Pause();
      continue;
    }
    auto snap = ReadSegment(mapped->data(), mapped->size());
    if (!snap) {
      // A segment being created has magic 0 until its header is complete.
      last = Error{ErrorCode::kProtocol, 0, name + " is not a sup status segment"};
      Pause();
      continue;
    }
    if (!snap->info.retired) return std::move(*snap);
    last = Error{ErrorCode::kBusy, 0, "status segment " + name + " kept being replaced"};
  }
  return Fail(*last);
}

}  // namespace sup::daemon
