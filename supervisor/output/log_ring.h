// LogRing: the in-memory tail of one instance's output (both streams), for `supctl logs`.
// A fixed byte budget holding records {stream, time, line}; the oldest records are evicted.
// Pure; loop thread only. The buffer is allocated on the first Append() (rings are lazy); when
// that allocation fails the ring is off (keeps nothing) until Resize() tries again: a ring is
// a convenience, and the lines still reach every other sink (SPEC §9.1 "Bounded memory").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "output/log_sink.h"

namespace sup::daemon::output {

struct LogRecord {
  Stream stream = Stream::kStdout;
  std::chrono::system_clock::time_point time;
  std::string line;  // without '\n' and without any timestamp prefix
};

class LogRing {
 public:
  // Each record costs its line's bytes plus kRecordOverhead; a line that alone exceeds the
  // capacity is kept truncated to what fits. capacity 0 keeps nothing.
  static constexpr std::size_t kRecordOverhead = 13;

  explicit LogRing(std::size_t capacity) : capacity_(capacity) {}

  void Append(Stream stream, std::chrono::system_clock::time_point time, std::string_view line);
  // The same as Append() for each line of `lines` ('\n'-terminated lines, one after the
  // other), all at `time`. A run larger than the ring (a program writing flat out reads
  // 256 KiB at a time) replaces the ring's content with the newest lines that fit, written
  // from its end backwards: the lines it would evict again are never copied, and nothing is
  // evicted one record at a time (that was most of the capture's cost on tmpfs, issue 23).
  void AppendLines(Stream stream, std::chrono::system_clock::time_point time,
                   std::string_view lines);

  // The last `n` records (oldest first), only of `only` when set.
  std::vector<LogRecord> Tail(std::size_t n, std::optional<Stream> only = std::nullopt) const;

  // Keeps the newest records that fit (reload changed stdout.ring/stderr.ring).
  void Resize(std::size_t capacity);

  std::size_t capacity() const { return capacity_; }
  std::size_t used() const { return used_; }
  std::size_t records() const { return records_; }
  bool allocated() const { return buf_ != nullptr; }
  // Whether the buffer could not be allocated: Append() keeps nothing.
  bool off() const { return off_; }

 private:
  std::size_t Wrap(std::size_t pos) const;
  void Read(std::size_t pos, char* out, std::size_t len) const;
  void Put(std::size_t pos, const char* in, std::size_t len);
  void EvictOldest();
  bool ReplaceWithNewest(Stream stream, std::int64_t ms, std::string_view lines);
  bool Allocate();

  std::size_t capacity_;
  // Circular; records are [u32 len][u8 stream][i64 ms][bytes]. Not zero-filled: only bytes
  // that were written are ever read, and the pages the ring has not reached stay untouched.
  std::unique_ptr<char[]> buf_;
  std::size_t head_ = 0;   // offset of the oldest record
  std::size_t used_ = 0;
  std::size_t records_ = 0;
  bool off_ = false;
};

}  // namespace sup::daemon::output
