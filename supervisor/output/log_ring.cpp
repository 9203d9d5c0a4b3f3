#include "output/log_ring.h"

#include <cstring>
#include <deque>
#include <limits>
#include <new>

namespace sup::daemon::output {
namespace {

struct Header {
  std::uint32_t len;
  std::uint8_t stream;
  std::int64_t ms;  // system_clock milliseconds since the epoch
};
static_assert(LogRing::kRecordOverhead == sizeof(std::uint32_t) + 1 + sizeof(std::int64_t));

}  // namespace

// Every offset handed to Wrap is below 2 × capacity (an offset in the ring plus at most what
// the ring holds), so one subtraction replaces a division: Append runs once per captured line.
std::size_t LogRing::Wrap(std::size_t pos) const { return pos >= capacity_ ? pos - capacity_ : pos; }

void LogRing::Read(std::size_t pos, char* out, std::size_t len) const {
  pos = Wrap(pos);
  const std::size_t first = std::min(len, capacity_ - pos);
  std::memcpy(out, buf_.get() + pos, first);
  if (first < len) std::memcpy(out + first, buf_.get(), len - first);
}

void LogRing::Put(std::size_t pos, const char* in, std::size_t len) {
  pos = Wrap(pos);
  const std::size_t first = std::min(len, capacity_ - pos);
  std::memcpy(buf_.get() + pos, in, first);
  if (first < len) std::memcpy(buf_.get(), in + first, len - first);
}

static void EncodeHeader(char* out, const Header& h) {
  std::memcpy(out, &h.len, 4);
  out[4] = static_cast<char>(h.stream);
  std::memcpy(out + 5, &h.ms, 8);
}

static Header DecodeHeader(const char* in) {
  Header h{};
  std::memcpy(&h.len, in, 4);
  h.stream = static_cast<std::uint8_t>(in[4]);
  std::memcpy(&h.ms, in + 5, 8);
  return h;
}

void LogRing::EvictOldest() {
  std::uint32_t len = 0;
  if (head_ + sizeof len <= capacity_) {
    std::memcpy(&len, buf_.get() + head_, sizeof len);
  } else {
    char raw[kRecordOverhead];
    Read(head_, raw, kRecordOverhead);
    len = DecodeHeader(raw).len;
  }
  const std::size_t cost = kRecordOverhead + len;
  head_ = Wrap(head_ + cost);
  used_ -= cost;
  --records_;
}

// The allocation may fail (an address-space limit, a container's memory); it is not retried
// on every line, which would cost a failing mmap per line.
bool LogRing::Allocate() {
  if (buf_) return true;
  if (off_) return false;
  buf_.reset(new (std::nothrow) char[capacity_]);
  off_ = buf_ == nullptr;
  return !off_;
}

void LogRing::Append(Stream stream, std::chrono::system_clock::time_point time,
                     std::string_view line) {
  if (capacity_ <= kRecordOverhead) return;
  if (line.size() > capacity_ - kRecordOverhead) line = line.substr(0, capacity_ - kRecordOverhead);
  if (!Allocate()) return;
  const std::size_t cost = kRecordOverhead + line.size();
  while (used_ + cost > capacity_) EvictOldest();
  const Header h{static_cast<std::uint32_t>(line.size()), static_cast<std::uint8_t>(stream),
                 std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch())
                     .count()};
  const std::size_t tail = Wrap(head_ + used_);
  if (tail + cost <= capacity_) {
    // The usual case: the record does not wrap. The header is encoded in place; going
    // through a 13-byte staging copy stalled on store forwarding (~5 ns of ~15 per line).
    EncodeHeader(buf_.get() + tail, h);
    std::memcpy(buf_.get() + tail + kRecordOverhead, line.data(), line.size());
  } else {
    char raw[kRecordOverhead];
    EncodeHeader(raw, h);
    Put(tail, raw, kRecordOverhead);
    Put(tail + kRecordOverhead, line.data(), line.size());
  }
  used_ += cost;
  ++records_;
}

void LogRing::AppendLines(Stream stream, std::chrono::system_clock::time_point time,
                          std::string_view lines) {
  if (capacity_ <= kRecordOverhead || lines.empty()) return;
  // Every record costs more than its line's bytes and '\n': a run that does not fit the
  // ring's bytes alone leaves none of the records before it.
  if (lines.size() > capacity_ && Allocate()) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    if (ReplaceWithNewest(stream, ms, lines)) return;
  }
  const char* at = lines.data();
  const char* const end = at + lines.size();
  while (at < end) {
    const char* nl = static_cast<const char*>(std::memchr(at, '\n', end - at));
    if (!nl) nl = end;
    Append(stream, time, std::string_view(at, nl - at));
    at = nl + 1;
  }
}

// The ring becomes the newest lines of `lines` whose records fit, the last one ending at the
// end of the buffer (a ring may start anywhere). False, with the ring untouched, when not even
// the last line fits whole: Append() keeps it truncated.
bool LogRing::ReplaceWithNewest(Stream stream, std::int64_t ms, std::string_view lines) {
  const char* const first = lines.data();
  const char* line_end = first + lines.size() - 1;  // the last line's '\n'
  std::size_t pos = capacity_;
  std::size_t count = 0;
  for (;;) {
    const void* nl = line_end > first ? ::memrchr(first, '\n', line_end - first) : nullptr;
    const char* start = nl ? static_cast<const char*>(nl) + 1 : first;
    const std::size_t len = line_end - start;
    if (kRecordOverhead + len > pos) break;
    pos -= kRecordOverhead + len;
    EncodeHeader(buf_.get() + pos,
                 Header{static_cast<std::uint32_t>(len), static_cast<std::uint8_t>(stream), ms});
    std::memcpy(buf_.get() + pos + kRecordOverhead, start, len);
    ++count;
    if (!nl) break;
    line_end = start - 1;
  }
  if (count == 0) return false;
  head_ = pos;
  used_ = capacity_ - pos;
  records_ = count;
  return true;
}

std::vector<LogRecord> LogRing::Tail(std::size_t n, std::optional<Stream> only) const {
  std::vector<LogRecord> out;
  if (n == 0 || records_ == 0) return out;
  std::deque<std::pair<std::size_t, Header>> keep;  // the last n matching records
  std::size_t pos = head_;
  for (std::size_t i = 0; i < records_; ++i) {
    char raw[kRecordOverhead];
    Read(pos, raw, kRecordOverhead);
    const Header h = DecodeHeader(raw);
    if (!only || static_cast<std::uint8_t>(*only) == h.stream) {
      keep.emplace_back(pos, h);
      if (keep.size() > n) keep.pop_front();
    }
    pos = Wrap(pos + kRecordOverhead + h.len);
  }
  out.reserve(keep.size());
  for (const auto& [at, h] : keep) {
    LogRecord r;
    r.stream = static_cast<Stream>(h.stream);
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(h.ms));
    r.line.resize(h.len);
    Read(at + kRecordOverhead, r.line.data(), h.len);
    out.push_back(std::move(r));
  }
  return out;
}

// A ring that is off tries to allocate again (on reload), even at the same capacity.
void LogRing::Resize(std::size_t capacity) {
  if (capacity == capacity_ && !off_) return;
  std::vector<LogRecord> all;
  try {
    all = Tail(std::numeric_limits<std::size_t>::max());
  } catch (const std::bad_alloc&) {
    all.clear();  // no room to copy the records out: they are dropped with the old buffer
  }
  capacity_ = capacity;
  buf_.reset();
  off_ = false;
  head_ = used_ = records_ = 0;
  for (const auto& r : all) Append(r.stream, r.time, r.line);
}

}  // namespace sup::daemon::output
