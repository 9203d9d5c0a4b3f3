#include "resources/usage_reads.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

namespace sup::daemon::resources {
namespace {

using ::sup::resources::ProcTable;

// One job: its probes, their readings, and how many chunks are still out. Shared by the
// chunks' requests; only the loop thread touches `remaining` and `done`.
struct Job {
  Probes probes;
  Readings readings;
  std::shared_ptr<const ProcTable> table;  // set before any chunk runs, when needed
  std::size_t remaining = 0;
  ReadingsFn done;
};

// One uv_work_t: a range of a job's probes, or (first == last) the job's /proc scan.
struct Chunk {
  uv_work_t request{};
  std::shared_ptr<Job> job;
  std::size_t first = 0;
  std::size_t last = 0;
  bool scan = false;
};

// One chunk, and one pool thread, per core, up to libuv's own cap of 4.
std::size_t ThreadsForChunks() {
  static const std::size_t cpus = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  return cpus;
}

void ReadRange(Job& job, std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) job.readings[i] = job.probes[i]->Read(job.table.get());
}

void QueueChunks(uv_loop_t& loop, const std::shared_ptr<Job>& job);

bool Queue(uv_loop_t& loop, std::unique_ptr<Chunk> chunk) {
  chunk->request.data = chunk.get();
  const int rc = uv_queue_work(
      &loop, &chunk->request,
      [](uv_work_t* req) {  // a pool thread: reads only, into this chunk's own slots
        auto* c = static_cast<Chunk*>(req->data);
        if (c->scan) c->job->table = std::make_shared<const ProcTable>(ProcTable::Scan());
        else ReadRange(*c->job, c->first, c->last);
      },
      [](uv_work_t* req, int) {  // the loop thread
        std::unique_ptr<Chunk> c(static_cast<Chunk*>(req->data));
        if (c->scan) return QueueChunks(*req->loop, c->job);
        if (--c->job->remaining == 0) c->job->done(std::move(c->job->readings));
      });
  if (rc != 0) return false;
  (void)chunk.release();  // owned by the request until its after-work callback
  return true;
}

void QueueChunks(uv_loop_t& loop, const std::shared_ptr<Job>& job) {
  const std::size_t n = job->probes.size();
  const std::size_t chunks = std::clamp<std::size_t>(n / kMinProbesPerChunk, 1, ThreadsForChunks());
  const std::size_t per_chunk = (n + chunks - 1) / chunks;
  job->remaining = (n + per_chunk - 1) / per_chunk;
  for (std::size_t first = 0; first < n; first += per_chunk) {
    auto chunk = std::make_unique<Chunk>();
    chunk->job = job;
    chunk->first = first;
    chunk->last = std::min(n, first + per_chunk);
    if (!Queue(loop, std::move(chunk))) {  // only with a closing loop: read here instead
      ReadRange(*job, first, std::min(n, first + per_chunk));
      if (--job->remaining == 0) job->done(std::move(job->readings));
    }
  }
}

}  // namespace

void StartPool(uv_loop_t& loop) {
  // One thread per core (libuv's default is 4): a job has one chunk per core, so more threads
  // would only take turns, and each is one more for exit_group to wake and end (PID 1's exit,
  // BENCHMARKS.md pid1). libuv reads the size once, as the first work is queued; an operator's
  // own UV_THREADPOOL_SIZE is kept, and ours is not left in the environment programs inherit.
  const bool sized = std::getenv("UV_THREADPOOL_SIZE") != nullptr;
  if (!sized) setenv("UV_THREADPOOL_SIZE", std::to_string(ThreadsForChunks()).c_str(), 1);
  auto* work = new uv_work_t;
  const int rc = uv_queue_work(&loop, work, [](uv_work_t*) {}, [](uv_work_t* w, int) { delete w; });
  if (rc != 0) delete work;
  if (!sized) unsetenv("UV_THREADPOOL_SIZE");
}

bool NeedsScan(const Probes& probes) {
  return std::any_of(probes.begin(), probes.end(),
                     [](const auto& p) { return p->target().cgroup_dir.empty(); });
}

Readings ReadNow(const Probes& probes) {
  const auto table = NeedsScan(probes) ? std::optional<ProcTable>(ProcTable::Scan()) : std::nullopt;
  Readings readings;
  readings.reserve(probes.size());
  for (const auto& p : probes) readings.push_back(p->Read(table ? &*table : nullptr));
  return readings;
}

void ReadOnPool(uv_loop_t& loop, Probes probes, ReadingsFn done) {
  if (probes.empty()) return done({});
  if (probes.size() <= kReadHereAtMost && !NeedsScan(probes)) return done(ReadNow(probes));
  auto job = std::make_shared<Job>();
  job->readings.resize(probes.size());
  job->probes = std::move(probes);
  job->done = std::move(done);
  if (!NeedsScan(job->probes)) return QueueChunks(loop, job);
  auto scan = std::make_unique<Chunk>();
  scan->job = job;
  scan->scan = true;
  if (!Queue(loop, std::move(scan))) {
    job->table = std::make_shared<const ProcTable>(ProcTable::Scan());
    QueueChunks(loop, job);
  }
}

}  // namespace sup::daemon::resources
