// Reading the status segment from any process: the pure decoder of a mapped segment and the
// by-name opener that follows a retired segment to its successor. Used by supctl top and tests;
// needs no socket and never writes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "sup/base/result.h"
#include "status/status_types.h"

namespace sup::daemon {

// Decodes a whole segment mapped at `base` (`size` bytes). nullopt when it is not a status
// segment of a version this build reads (bad magic, version, sizes beyond `size`). A slot whose
// writer stays mid-write for `patience_ms` (it died) is skipped and counted as unreadable.
std::optional<Snapshot> ReadSegment(const void* base, std::size_t size, int patience_ms = 1000);

// A read-only mapping of the segment currently named `name`. Move-only; unmaps on destruction.
class MappedSegment {
 public:
  static Result<MappedSegment> Open(const std::string& name);
  MappedSegment(MappedSegment&& other) noexcept;
  MappedSegment& operator=(MappedSegment&& other) noexcept;
  MappedSegment(const MappedSegment&) = delete;
  MappedSegment& operator=(const MappedSegment&) = delete;
  ~MappedSegment();

  const void* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  MappedSegment(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// A snapshot of the live segment under `name`: reopens while the one it finds is retired (supd
// grew it) and rides out the short window of a growth in which the name does not exist.
// Errors: kNotFound (no such segment), kPermission (EACCES), kProtocol (not a status segment).
Result<Snapshot> ReadNamedSegment(const std::string& name);

}  // namespace sup::daemon
