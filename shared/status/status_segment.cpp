#include "status/status_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "status/proc_stat.h"
#include "status/segment_reader.h"
#include "status/slot_seqlock.h"

namespace sup::daemon {
namespace {

std::uint64_t NowNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// POSIX shm objects are files in /dev/shm on Linux (glibc and musl both put them there).
std::string ShmPath(const std::string& name) { return "/dev/shm" + name; }

std::string DescribeOwner(const struct stat& st) {
  std::string who = "uid " + std::to_string(st.st_uid);
  if (const passwd* pw = getpwuid(st.st_uid)) who += std::string(" (") + pw->pw_name + ")";
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
  const char* kind = S_ISREG(st.st_mode) ? "" : S_ISLNK(st.st_mode) ? "symlink, " : "not a file, ";
  return who + ", " + kind + "mode " + mode;
}

// Only an object we own and nobody else can write may tell us anything (SPEC §9.1).
bool Trusted(const struct stat& st) {
  return S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// Whether the supd that wrote a header is gone: our own pid is an earlier life of it (a
// container restarted with a persistent /dev/shm); a pid with another start time was reused.
bool SupdGone(pid_t pid, std::uint64_t start_ticks) {
  return pid <= 0 || pid == getpid() || ProcessGone(pid, start_ticks);
}

// What a trusted object under the name says about its writer.
struct Existing {
  bool ours_to_replace = false;
  pid_t owner = 0;
  std::vector<std::string> pages;  // counter pages its slots name under "<name>."
  std::optional<Snapshot> abandoned;
};

Existing InspectTrusted(const std::string& name) {
  Existing out;
  auto mapped = MappedSegment::Open(name);
  if (!mapped) {
    // Vanished in between, or too short to be a segment.
    out.ours_to_replace = mapped.error().code == ErrorCode::kNotFound ||
                          mapped.error().code == ErrorCode::kProtocol;
    return out;
  }
  auto snap = ReadSegment(mapped->data(), mapped->size());
  if (!snap) {
    // Another layout version of a live supd is still a live supd; anything else is garbage or
    // a supd that died before finishing its header.
    const auto* h = static_cast<const sup_status_header*>(mapped->data());
    out.owner = h->magic == SUP_STATUS_MAGIC && h->version != SUP_STATUS_VERSION
                    ? static_cast<pid_t>(h->supd_pid) : 0;
    out.ours_to_replace = out.owner == 0 || SupdGone(out.owner, 0);
    return out;
  }
  out.owner = snap->info.supd_pid;
  out.ours_to_replace = SupdGone(out.owner, snap->info.supd_start_ticks);
  if (out.ours_to_replace) {
    const std::string prefix = name + ".";
    for (const auto& slot : snap->slots) {
      if (slot.data.counter_page.rfind(prefix, 0) == 0) out.pages.push_back(slot.data.counter_page);
    }
    out.abandoned = std::move(*snap);
  }
  return out;
}

// Makes the name free for MapNew: removes an untrusted object, or a trusted one whose supd is
// gone. Fills `found`.
Result<void> ClearName(const std::string& name, Takeover& found) {
  struct stat st;
  if (lstat(ShmPath(name).c_str(), &st) != 0) {
    if (errno == ENOENT) return {};  // gone in between
    return Fail(SystemError("inspect status segment " + name, errno));
  }
  if (!Trusted(st)) {
    const std::string owner = DescribeOwner(st);
    if (shm_unlink(name.c_str()) != 0 && errno != ENOENT) {
      return Fail(Error{ErrorCode::kPermission, errno,
                        "status segment " + name + " is held by an object of " + owner +
                            " that supd may not remove"});
    }
    found.replaced_foreign = owner;
    return {};
  }
  Existing existing = InspectTrusted(name);
  if (!existing.ours_to_replace) {
    const std::string who = existing.owner > 0 ? "supd pid " + std::to_string(existing.owner)
                                               : "another supd";
    return Fail(Error{ErrorCode::kBusy, 0, "status segment " + name + " is in use by " + who});
  }
  for (const auto& page : existing.pages) shm_unlink(page.c_str());
  if (shm_unlink(name.c_str()) != 0 && errno != ENOENT) {
    return Fail(SystemError("remove stale status segment " + name, errno));
  }
  if (existing.abandoned) found.abandoned = std::move(existing.abandoned);
  return {};
}

// Someone may plant a new object between our unlink and our O_EXCL create: try a few times.
constexpr int kCreateAttempts = 4;

}  // namespace

Result<std::unique_ptr<StatusSegment>> StatusSegment::Create(const std::string& name, mode_t mode,
                                                             std::uint32_t capacity,
                                                             Takeover* found) {
  std::unique_ptr<StatusSegment> seg(new StatusSegment(name, mode));
  seg->start_ns_ = NowNs(CLOCK_REALTIME);
  seg->start_mono_ns_ = NowNs(CLOCK_MONOTONIC);
  seg->start_ticks_ = ProcStartTicks(getpid()).value_or(0);
  Takeover local;
  Takeover& takeover = found ? *found : local;
  for (int attempt = 0;; ++attempt) {
    auto made = seg->MapNew(std::max<std::uint32_t>(capacity, 1), 1);
    if (made) return seg;
    if (made.error().sys != EEXIST || attempt + 1 == kCreateAttempts) return Fail(made.error());
    if (auto cleared = ClearName(name, takeover); !cleared) return Fail(cleared.error());
  }
}

Result<void> StatusSegment::MapNew(std::uint32_t capacity, std::uint64_t generation) {
  const int fd = shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode_ & 0777);
  if (fd < 0) return Fail(SystemError("create status segment " + name_, errno));
  const std::size_t size = sizeof(sup_status_header) + std::size_t{capacity} * sizeof(sup_status_slot);
  auto fail = [&](const char* step) {
    const int err = errno;
    close(fd);
    shm_unlink(name_.c_str());
    return Fail(SystemError(std::string(step) + " status segment " + name_, err));
  };
  if (fchmod(fd, mode_ & 0777) != 0) return fail("chmod");
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return fail("size");
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail("map");
  close(fd);  // the mapping keeps the object alive
  auto* h = static_cast<sup_status_header*>(map);  // ftruncate zero-filled every slot
  h->version = SUP_STATUS_VERSION;
  h->header_size = sizeof(sup_status_header);
  h->slot_size = sizeof(sup_status_slot);
  h->capacity = capacity;
  h->supd_pid = getpid();
  h->supd_start_ns = start_ns_;
  h->supd_start_mono_ns = start_mono_ns_;
  h->supd_start_ticks = start_ticks_;
  h->generation = generation;
  // The magic goes last: a reader that sees it sees a complete header.
  std::atomic_ref<std::uint64_t>(h->magic).store(SUP_STATUS_MAGIC, std::memory_order_release);
  map_ = map;
  size_ = size;
  capacity_ = capacity;
  generation_ = generation;
  return {};
}

sup_status_slot* StatusSegment::Slot(std::uint32_t index) const {
  return reinterpret_cast<sup_status_slot*>(static_cast<unsigned char*>(map_) + sizeof(sup_status_header) +
                                            std::size_t{index} * sizeof(sup_status_slot));
}

Result<void> StatusSegment::Grow(std::uint32_t min_capacity) {
  void* old_map = map_;
  const std::size_t old_size = size_;
  const std::uint32_t old_capacity = capacity_;
  auto* old_header = static_cast<sup_status_header*>(old_map);
  // Readers that open the name between unlink and create get ENOENT and retry (ReadNamedSegment).
  shm_unlink(name_.c_str());
  auto made = MapNew(std::max(min_capacity, old_capacity * 2), generation_ + 1);
  if (!made) {
    map_ = old_map;  // keep publishing into the old one; it is no longer reachable by name
    return Fail(made.error());
  }
  // The old slots are ours alone to write, so reading them needs no lock.
  auto* old_slots = reinterpret_cast<sup_status_slot*>(static_cast<unsigned char*>(old_map) +
                                                       sizeof(sup_status_header));
  for (std::uint32_t i = 0; i < slots_used_; ++i) SeqlockWrite(Slot(i), old_slots[i].data);
  std::atomic_ref<std::uint32_t>(static_cast<sup_status_header*>(map_)->slots_used)
      .store(slots_used_, std::memory_order_release);
  std::atomic_ref<std::uint32_t>(old_header->retired).store(1, std::memory_order_release);
  munmap(old_map, old_size);
  return {};
}

Result<void> StatusSegment::Publish(std::uint32_t index, const SlotData& data) {
  if (index >= capacity_) {
    auto grown = Grow(index + 1);
    if (!grown) return grown;
  }
  SeqlockWrite(Slot(index), EncodeSlot(data));
  if (index >= slots_used_) {
    slots_used_ = index + 1;
    std::atomic_ref<std::uint32_t>(static_cast<sup_status_header*>(map_)->slots_used)
        .store(slots_used_, std::memory_order_release);
  }
  return {};
}

void StatusSegment::Clear(std::uint32_t index) {
  if (index >= capacity_) return;
  sup_status_slot_data empty;
  std::memset(&empty, 0, sizeof(empty));
  SeqlockWrite(Slot(index), empty);
}

StatusSegment::~StatusSegment() {
  if (map_ == nullptr) return;
  shm_unlink(name_.c_str());
  munmap(map_, size_);
}

}  // namespace sup::daemon
