#include "output/instance_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include <spdlog/spdlog.h>

#include "loop/uv_handle.h"
#include "output/line_format.h"
#include "output/line_splitter.h"
#include "output/stream_sink.h"

namespace sup::daemon::output {
namespace {

// What a read's batch is reserved beyond the bytes read: room for a carried partial line's
// tail and a few cut long lines before it must grow.
constexpr std::size_t kBatchSlack = 512;

}  // namespace

// One destination of this instance's lines: a (channel, budget) pair with how lines are
// formatted for it. A merged stderr shares stdout's Routes.
struct InstanceOutput::Route {
  std::shared_ptr<SinkChannel> channel;
  std::shared_ptr<QueueBudget> budget;
  const StreamSink* forward = nullptr;  // set for supd's stdout/stderr: skipped once failed
  bool drop = false;                    // backpressure = "drop"
  bool timestamps = false;
  bool json = false;
  std::string batch;  // lines of the bytes being processed, pushed once per read
  // Lines queued for this route that still sit, '\n' included, in the read being split: a
  // plain route copies the whole run into `batch` at once, not line by line.
  const char* run = nullptr;
  std::size_t run_size = 0;

  bool plain() const { return !forward && !timestamps && !json; }
  std::size_t queued_here() const { return batch.size() + run_size; }
  void FlushRun() {
    if (run_size == 0) return;
    batch.append(run, run_size);
    run = nullptr;
    run_size = 0;
  }
};

// One pipe of one run: a uv_pipe_t plus the splitter carrying its partial line. Owned by
// InstanceOutput::readers_ until EOF or a read error.
class InstanceOutput::PipeReader {
 public:
  PipeReader(InstanceOutput& owner, Stream stream) : owner_(owner), stream_(stream) {}

  Result<void> Open(uv_loop_t& loop, int fd) {
    auto* pipe = new uv_pipe_t;
    int rc = uv_pipe_init(&loop, pipe, 0);
    if (rc != 0) {
      delete pipe;
      return Fail(Error{ErrorCode::kLibuv, rc, std::string("uv_pipe_init: ") + uv_strerror(rc)});
    }
    pipe->data = this;
    pipe_.reset(pipe);
    rc = uv_pipe_open(pipe, fd);
    if (rc != 0) return Fail(Error{ErrorCode::kLibuv, rc, std::string("uv_pipe_open: ") + uv_strerror(rc)});
    fd_ = fd;
    return {};
  }

  void Start() {
    if (!reading_ && uv_read_start(UvStream(), &PipeReader::OnAlloc, &PipeReader::OnRead) == 0)
      reading_ = true;
  }
  void Stop() {
    if (reading_) uv_read_stop(UvStream());
    reading_ = false;
  }

  // Reads what is in the pipe now; returns false at EOF or on a read error.
  bool DrainNow() {
    int capacity = ::fcntl(fd_, F_GETPIPE_SZ);
    // Bytes written before the exit fit in the pipe; a descendant writing on is not waited for.
    std::size_t budget = std::max(capacity > 0 ? static_cast<std::size_t>(capacity) : 0,
                                  owner_.hub_.read_buffer_size());
    while (budget > 0) {
      const ssize_t n = ::read(fd_, owner_.hub_.read_buffer(),
                               std::min(budget, owner_.hub_.read_buffer_size()));
      if (n > 0) {
        owner_.OnBytes(*this, std::string_view(owner_.hub_.read_buffer(), n));
        budget -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0) spdlog::warn("{}: read {}: {}", owner_.spec_.name, StreamName(stream_), std::strerror(errno));
      owner_.OnEof(*this);
      return false;
    }
    return true;
  }

  Stream stream() const { return stream_; }
  LineSplitter& splitter() { return splitter_; }
  const LineSplitter& splitter() const { return splitter_; }

 private:
  uv_stream_t* UvStream() { return reinterpret_cast<uv_stream_t*>(pipe_.get()); }

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<PipeReader*>(handle->data);
    if (!self) {
      *buf = uv_buf_init(nullptr, 0);
      return;
    }
    auto& hub = self->owner_.hub_;
    *buf = uv_buf_init(hub.read_buffer(), static_cast<unsigned>(hub.read_buffer_size()));
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    auto* self = static_cast<PipeReader*>(stream->data);
    if (!self || nread == 0) return;
    try {
      if (nread > 0) {
        self->owner_.OnBytes(*self, std::string_view(buf->base, static_cast<std::size_t>(nread)));
        return;
      }
      if (nread != UV_EOF)
        spdlog::warn("{}: read {}: {}", self->owner_.spec_.name, StreamName(self->stream_), uv_strerror(nread));
      self->owner_.OnEof(*self);
      self->owner_.RemoveReader(self);  // destroys *self: nothing may follow
    } catch (const std::exception& e) {
      spdlog::error("output: {}", e.what());
    }
  }

  InstanceOutput& owner_;
  const Stream stream_;
  LineSplitter splitter_;
  UvHandle<uv_pipe_t> pipe_;  // closing it closes fd_
  int fd_ = -1;
  bool reading_ = false;
};

InstanceOutput::InstanceOutput(OutputHub& hub, InstanceOutputSpec spec)
    : hub_(hub), spec_(std::move(spec)), ring_(spec_.stdout_spec.ring + spec_.stderr_spec.ring) {}

InstanceOutput::~InstanceOutput() {
  for (auto& route : routes_) route->budget->on_loop = nullptr;
  if (paused_) hub_.HoldLoop(false);
  readers_.clear();
}

Result<void> InstanceOutput::BuildRoutes(const InstanceOutputSpec& spec,
                                         std::vector<std::unique_ptr<Route>>& routes,
                                         Route* out[2][2]) {
  auto add = [&](std::shared_ptr<SinkChannel> channel, const conf::OutputSpec& os,
                 const StreamSink* forward) {
    auto route = std::make_unique<Route>();
    route->channel = std::move(channel);
    route->budget = hub_.NewBudget([this] { MaybeResume(); });
    route->forward = forward;
    route->drop = os.backpressure == conf::Backpressure::kDrop;
    route->budget->drop = route->drop;
    route->budget->dropped = sink_dropped_;
    route->timestamps = os.timestamps;
    route->json = forward && os.forward_format == conf::ForwardFormat::kJson;
    routes.push_back(std::move(route));
    return routes.back().get();
  };
  for (Stream s : {Stream::kStdout, Stream::kStderr}) {
    const int i = s == Stream::kStderr;
    if (s == Stream::kStderr && spec.stderr_spec.merge) {
      out[1][0] = out[0][0];
      out[1][1] = out[0][1];
      continue;
    }
    const conf::OutputSpec& os = i ? spec.stderr_spec : spec.stdout_spec;
    const std::string& file = i ? spec.stderr_file : spec.stdout_file;
    if (!file.empty()) {
      auto channel = hub_.FileChannel(file, os);
      if (!channel) return Fail(channel.error());
      out[i][0] = add(std::move(*channel), os, nullptr);
    }
    if (os.forward) {
      auto channel = hub_.ForwardChannel(s);
      const auto* sink = static_cast<const StreamSink*>(&channel->sink());
      out[i][1] = add(std::move(channel), os, sink);
    }
  }
  return {};
}

Result<void> InstanceOutput::OpenFiles() {
  if (files_open_) return {};
  std::vector<std::unique_ptr<Route>> routes;
  Route* sinks[2][2] = {};
  if (auto r = BuildRoutes(spec_, routes, sinks); !r) {
    for (auto& route : routes) route->budget->on_loop = nullptr;
    return r;
  }
  routes_ = std::move(routes);
  std::copy(&sinks[0][0], &sinks[0][0] + 4, &sinks_[0][0]);
  files_open_ = true;
  return {};
}

Result<void> InstanceOutput::Attach(int stdout_fd, int stderr_fd) {
  int fds[2] = {stdout_fd, stderr_fd};
  auto close_rest = [&](int from) {
    for (int i = from; i < 2; ++i)
      if (fds[i] >= 0) ::close(fds[i]);
  };
  if (auto r = OpenFiles(); !r) {
    close_rest(0);
    return r;
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i] < 0) continue;
    auto reader = std::make_unique<PipeReader>(*this, i ? Stream::kStderr : Stream::kStdout);
    if (auto r = reader->Open(hub_.loop(), fds[i]); !r) {
      close_rest(i);  // uv_pipe_open failed: the fd is still ours
      return Fail(Error{r.error().code, r.error().sys, spec_.name + ": " + r.error().context});
    }
    fds[i] = -1;
    if (!paused_) reader->Start();
    readers_.push_back(std::move(reader));
  }
  return {};
}

void InstanceOutput::DrainNow() {
  std::vector<PipeReader*> ended;
  for (auto& reader : readers_)
    if (!reader->DrainNow()) ended.push_back(reader.get());
  for (PipeReader* reader : ended) RemoveReader(reader);
}

Result<void> InstanceOutput::Reconfigure(InstanceOutputSpec spec) {
  if (files_open_) {
    std::vector<std::unique_ptr<Route>> routes;
    Route* sinks[2][2] = {};
    if (auto r = BuildRoutes(spec, routes, sinks); !r) {
      for (auto& route : routes) route->budget->on_loop = nullptr;
      return r;
    }
    for (auto& route : routes_) route->budget->on_loop = nullptr;
    routes_ = std::move(routes);
    std::copy(&sinks[0][0], &sinks[0][0] + 4, &sinks_[0][0]);
    for (int i = 0; i < 2; ++i) {
      if (Route* file = sinks_[i][0]; file && !(i == 1 && spec.stderr_spec.merge)) {
        file->channel->Post([os = i ? spec.stderr_spec : spec.stdout_spec](LogSink& sink) {
          sink.Configure(os);
        });
      }
    }
  }
  ring_.Resize(spec.stdout_spec.ring + spec.stderr_spec.ring);
  ring_off_logged_ = false;  // a ring that is off tries again
  spec_ = std::move(spec);
  MaybeResume();  // the new routes start with empty queues
  return {};
}

void InstanceOutput::Reopen() {
  for (int i = 0; i < 2; ++i)
    if (Route* file = sinks_[i][0]) file->channel->Post([](LogSink& sink) { sink.Reopen(); });
}

std::vector<LogRecord> InstanceOutput::Tail(std::size_t n, std::optional<Stream> only) const {
  return ring_.Tail(n, only);
}

std::string InstanceOutput::error() const {
  std::string out;
  if (ring_.off()) out = RingOffText();
  const SinkChannel* seen = nullptr;
  for (int i = 0; i < 2; ++i) {
    const Route* file = sinks_[i][0];
    if (!file || file->channel.get() == seen) continue;
    seen = file->channel.get();
    std::string status = file->channel->sink().status();
    if (status.empty()) continue;
    if (!out.empty()) out += "; ";
    out += status;
  }
  return out;
}

void InstanceOutput::OnBytes(PipeReader& reader, std::string_view bytes) {
  captured_bytes_ += bytes.size();
  now_ = std::chrono::system_clock::now();
  now_text_.clear();
  const Stream stream = reader.stream();
  // A batch grows by at least the bytes read: room for that up front saves the reallocations
  // and copies of growing it piece by piece (decorated lines may still grow it). The buffer is
  // one the writers are done with: its pages are resident, nothing is mapped or zeroed.
  const int i = stream == Stream::kStderr;
  for (Route* route : {sinks_[i][0], sinks_[i][1]}) {
    if (!route) continue;
    const std::size_t need = route->batch.size() + bytes.size() + kBatchSlack;
    // An empty std::string still has room for a few bytes (the short-string buffer): a batch
    // not started yet is one without bytes, whatever its capacity.
    if (route->batch.empty() && route->batch.capacity() < need) {
      route->batch = route->channel->TakeBuffer(need);
    } else {
      route->batch.reserve(need);
    }
  }
  read_ = bytes;
  // The ring keeps the last `capacity` bytes of records. A line followed in this read by at
  // least that many bytes of whole lines would be evicted again before the read is done
  // (every record costs at least the bytes it came from), so it is not written at all: a
  // program writing flat out fills 256 KiB reads, twice the default ring (64 KiB a stream).
  const void* last_newline = ::memrchr(bytes.data(), '\n', bytes.size());
  const std::size_t whole =
      last_newline ? static_cast<const char*>(last_newline) - bytes.data() + 1 : 0;
  ring_skip_until_ = whole > ring_.capacity() ? bytes.data() + whole - ring_.capacity() : nullptr;
  auto emit = [this, stream](std::string_view line) { EmitLine(stream, line); };
  if (TakesBulk(stream)) {
    const auto [from, to] = BulkLines(reader.splitter(), bytes.substr(0, whole));
    if (from < to) {
      reader.splitter().Feed(bytes.substr(0, from), emit);  // completes the carried line
      const std::string_view lines = bytes.substr(from, to - from);
      for (Route* route : {sinks_[i][0], sinks_[i][1]}) {
        if (!route) continue;
        if (route->run + route->run_size != lines.data()) {
          route->FlushRun();
          route->run = lines.data();
        }
        route->run_size += lines.size();
      }
      // A run larger than the ring replaces it, written from the newest line back: the lines
      // it would evict again are never copied (LogRing::AppendLines).
      ring_.AppendLines(stream, now_, lines);
      bytes.remove_prefix(to);
    }
  }
  reader.splitter().Feed(bytes, emit);
  FlushBatches();
  read_ = {};
  ring_skip_until_ = nullptr;
  if (ring_.off() && !ring_off_logged_) {
    ring_off_logged_ = true;
    spdlog::warn("{}: {} (output still goes to its log files and supd's output)", spec_.name, RingOffText());
  }
}

std::string InstanceOutput::RingOffText() const {
  return "ring off: cannot allocate " + std::to_string(ring_.capacity()) + " bytes";
}

// Whether the stream's lines need nothing but their bytes copied and the ring fed: every sink
// takes lines as they are (plain, blocking) and nobody follows the instance. A program writing
// flat out then costs a copy per read and a short loop for the ring's share, not a call chain
// per line.
bool InstanceOutput::TakesBulk(Stream stream) const {
  if (observer_ && (!followed_ || followed_(spec_.name))) return false;
  const int i = stream == Stream::kStderr;
  for (const Route* route : {sinks_[i][0], sinks_[i][1]})
    if (route && (!route->plain() || route->drop)) return false;
  return true;
}

// The bytes [from, to) of `whole` (a read's whole lines) that can bypass the splitter: `from`
// is past the end of a line carried over from the last read, which the splitter completes, and
// `to` stops before any line longer than the splitter's limit, which it cuts.
std::pair<std::size_t, std::size_t> InstanceOutput::BulkLines(const LineSplitter& splitter,
                                                              std::string_view whole) {
  std::size_t from = 0;
  if (splitter.pending() > 0) {
    const void* first = std::memchr(whole.data(), '\n', whole.size());
    if (!first) return {0, 0};
    from = static_cast<const char*>(first) - whole.data() + 1;
  }
  // Each line's '\n' lies within max_line + 1 bytes of its start, so jumping to the last '\n'
  // of each such window skips only lines that are short enough.
  const std::size_t window = splitter.max_line() + 1;
  std::size_t to = from;
  while (to < whole.size()) {
    const void* nl = ::memrchr(whole.data() + to, '\n', std::min(whole.size() - to, window));
    if (!nl) break;  // the line starting at `to` will be cut
    to = static_cast<const char*>(nl) - whole.data() + 1;
  }
  return {from, to};
}

void InstanceOutput::OnEof(PipeReader& reader) {
  now_ = std::chrono::system_clock::now();
  now_text_.clear();
  const Stream stream = reader.stream();
  reader.splitter().Finish([this, stream](std::string_view line) { EmitLine(stream, line); });
  FlushBatches();
}

const std::string& InstanceOutput::NowText() {
  if (now_text_.empty()) now_text_ = FormatRfc3339(now_);
  return now_text_;
}

void InstanceOutput::EmitLine(Stream stream, std::string_view line) {
  // Whether the splitter handed the line over in place, inside the read being split.
  const std::less<const char*> less;
  const bool in_read = !read_.empty() && !less(line.data(), read_.data()) &&
                       less(line.data() + line.size(), read_.data() + read_.size());
  if (!in_read || !less(line.data() + line.size(), ring_skip_until_)) ring_.Append(stream, now_, line);
  if (observer_) observer_(spec_.name, stream, now_, line);
  const int i = stream == Stream::kStderr;
  bool dropped = false;
  // In place and with its '\n' right behind it: the bytes a plain route writes are already there.
  const bool in_place = in_read && line.data()[line.size()] == '\n';
  for (Route* route : {sinks_[i][0], sinks_[i][1]}) {
    if (!route || (route->forward && route->forward->failed())) continue;
    if (in_place && route->plain()) {
      if (route->drop && route->budget->queued.load(std::memory_order_relaxed) +
                                 route->queued_here() + line.size() + 1 > hub_.queue_bound()) {
        dropped = true;
        continue;
      }
      if (route->run + route->run_size != line.data()) {
        route->FlushRun();
        route->run = line.data();
      }
      route->run_size += line.size() + 1;
      continue;
    }
    route->FlushRun();
    std::string& batch = route->batch;
    const std::size_t before = batch.size();
    if (route->json) {
      AppendJsonLine(batch, NowText(), spec_.program, spec_.index, stream, line);
    } else {
      if (route->forward) {
        if (prefix_width_ != hub_.prefix_width() || prefix_.empty()) {
          prefix_width_ = hub_.prefix_width();
          prefix_ = ForwardPrefix(spec_.name, prefix_width_);
        }
        batch += prefix_;
      }
      if (route->timestamps) {
        batch += NowText();
        batch += ' ';
      }
      batch += line;
      batch += '\n';
    }
    if (route->drop &&
        route->budget->queued.load(std::memory_order_relaxed) + batch.size() > hub_.queue_bound()) {
      batch.resize(before);
      dropped = true;
    }
  }
  if (dropped) ++dropped_lines_;
}

void InstanceOutput::FlushBatches() {
  bool over = false;
  for (auto& route : routes_) {
    route->FlushRun();
    if (route->batch.empty()) continue;
    route->channel->Push(std::move(route->batch), route->budget);
    route->batch = std::string();
    if (!route->drop && route->budget->queued.load() > hub_.queue_bound()) over = true;
  }
  if (over) Pause();
}

void InstanceOutput::Pause() {
  if (!paused_) {
    paused_ = true;
    hub_.HoldLoop(true);
    for (auto& reader : readers_) reader->Stop();
  }
  MaybeResume();  // arms wants_resume, or resumes at once if the writers were quicker
}

void InstanceOutput::MaybeResume() {
  if (!paused_) return;
  bool drained = true;
  for (auto& route : routes_) {
    QueueBudget& b = *route->budget;
    if (route->drop || b.queued.load() <= b.resume_at) continue;
    b.wants_resume.store(true);
    // Re-read after arming: the writer either sees the flag or we see its credit.
    if (b.queued.load() > b.resume_at) {
      drained = false;
    } else {
      b.wants_resume.store(false);
    }
  }
  if (!drained) return;
  paused_ = false;
  hub_.HoldLoop(false);
  for (auto& reader : readers_) reader->Start();
}

void InstanceOutput::RemoveReader(PipeReader* reader) {
  auto it = std::find_if(readers_.begin(), readers_.end(),
                         [reader](const auto& r) { return r.get() == reader; });
  if (it != readers_.end()) readers_.erase(it);
}

}  // namespace sup::daemon::output
