// supd's side of the status segment: creates the POSIX shm object, publishes each instance's
// slot under its sequence lock, grows by replacing the segment, unlinks it on destruction.
// Single writer: every method runs on supd's loop thread. Readers: segment_reader.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sup/base/result.h"
#include "status/status_types.h"

namespace sup::daemon {

// What StatusSegment::Create found under the name before it created the segment.
struct Takeover {
  // An object that was not trusted (another owner, or writable by group or others) and was
  // removed: "uid 65534 (nobody), mode 0666". Empty when there was none.
  std::string replaced_foreign;
  // The segment of a supd that is gone (crashed), read before it was replaced: the programs it
  // lists may still run (left_programs.h).
  std::optional<Snapshot> abandoned;
};

class StatusSegment {
 public:
  // Creates segment `name` ("/sup") with mode `mode` (applied with fchmod: the umask does not
  // apply) and room for `capacity` slots (at least 1). An existing object under the name is
  // trusted only when it is a regular file owned by our uid that group and others cannot write
  // (SPEC §9.1); any other is removed and reported in `found->replaced_foreign`. A trusted one
  // is replaced only when the supd named in its header is gone (no such pid, or the pid now has
  // another start time), or it is not a status segment; the counter pages its slots name under
  // "<name>." are unlinked with it. Otherwise the error is kBusy "status segment /sup is in use
  // by supd pid N" (supd exits 2 on it). An untrusted object we may not remove (a non-root supd,
  // another user's object in sticky /dev/shm) is kPermission.
  static Result<std::unique_ptr<StatusSegment>> Create(const std::string& name, mode_t mode,
                                                       std::uint32_t capacity,
                                                       Takeover* found = nullptr);
  StatusSegment(const StatusSegment&) = delete;
  StatusSegment& operator=(const StatusSegment&) = delete;
  ~StatusSegment();  // unlinks the name and unmaps

  // Writes slot `index`; grows the segment first when index >= capacity() (fails only then).
  Result<void> Publish(std::uint32_t index, const SlotData& data);
  // Marks slot `index` free (an instance removed by reload).
  void Clear(std::uint32_t index);

  const std::string& name() const { return name_; }
  mode_t mode() const { return mode_; }
  std::uint32_t capacity() const { return capacity_; }
  std::uint64_t generation() const { return generation_; }

 private:
  StatusSegment(std::string name, mode_t mode) : name_(std::move(name)), mode_(mode) {}
  // Creates and maps a fresh object under name_ (which must not exist) with header filled in.
  Result<void> MapNew(std::uint32_t capacity, std::uint64_t generation);
  Result<void> Grow(std::uint32_t min_capacity);
  sup_status_slot* Slot(std::uint32_t index) const;

  std::string name_;
  mode_t mode_;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint32_t slots_used_ = 0;
  std::uint64_t generation_ = 0;
  std::uint64_t start_ns_ = 0;
  std::uint64_t start_mono_ns_ = 0;
  std::uint64_t start_ticks_ = 0;
};

}  // namespace sup::daemon
