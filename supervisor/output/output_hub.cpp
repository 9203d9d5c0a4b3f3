#include "output/output_hub.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

#include "output/rotating_file.h"
#include "output/stream_sink.h"

namespace sup::daemon::output {

// Crosses from the writer threads to the loop: budgets whose producer may resume. Shared
// with every budget's on_drained, so a writer thread that outlives the hub finds async null.
struct ResumeQueue {
  std::mutex mu;
  std::vector<std::weak_ptr<QueueBudget>> pending;
  uv_async_t* async = nullptr;
};

OutputHub::OutputHub(uv_loop_t& loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      files_(options_.file_threads),
      stdout_pool_(1),
      stderr_pool_(1),
      resume_(std::make_shared<ResumeQueue>()) {
  if (!options_.open_file) {
    options_.open_file = [](const std::string& path,
                            const conf::OutputSpec& spec) -> Result<std::unique_ptr<LogSink>> {
      auto file = RotatingFile::Open(path, spec.max_size, spec.backups);
      if (!file) return Fail(file.error());
      return std::unique_ptr<LogSink>(std::move(*file));
    };
  }
  stdout_channel_ = stdout_pool_.AddChannel(std::make_unique<StreamSink>(options_.stdout_fd, "stdout"));
  stderr_channel_ = stderr_pool_.AddChannel(std::make_unique<StreamSink>(options_.stderr_fd, "stderr"));
  auto* async = new uv_async_t;
  const int rc = uv_async_init(&loop_, async, &OutputHub::OnWake);
  if (rc != 0) {  // only fails for an invalid loop: a programming error
    delete async;
    spdlog::critical("output: uv_async_init: {}", uv_strerror(rc));
    std::abort();
  }
  async->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(async));
  wake_.reset(async);
  resume_->async = async;
}

OutputHub::~OutputHub() {
  Shutdown();
  std::lock_guard lock(resume_->mu);
  resume_->async = nullptr;
  // wake_ closes itself after this body (UvCloser).
}

bool OutputHub::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  bool ok = files_.Flush(left());
  ok = stdout_pool_.Flush(left()) && ok;
  ok = stderr_pool_.Flush(left()) && ok;
  return ok;
}

bool OutputHub::Shutdown(std::chrono::milliseconds timeout) {
  if (shut_down_) return true;
  shut_down_ = true;
  const bool ok = Flush(timeout);
  if (!ok) spdlog::warn("output: not every captured line could be written before exit");
  const std::chrono::milliseconds grace(ok ? 1'000 : 0);
  files_.Stop(grace);
  stdout_pool_.Stop(grace);
  stderr_pool_.Stop(grace);
  return ok;
}

void OutputHub::ReopenFiles() {
  for (auto it = files_by_path_.begin(); it != files_by_path_.end();) {
    if (auto channel = it->second.lock()) {
      channel->Post([](LogSink& sink) { sink.Reopen(); });
      ++it;
    } else {
      it = files_by_path_.erase(it);
    }
  }
}

std::uint64_t OutputHub::forward_errors() const {
  return static_cast<StreamSink&>(stdout_channel_->sink()).errors() +
         static_cast<StreamSink&>(stderr_channel_->sink()).errors();
}

bool OutputHub::stdout_failed() const {
  return static_cast<StreamSink&>(stdout_channel_->sink()).failed();
}

bool OutputHub::stderr_failed() const {
  return static_cast<StreamSink&>(stderr_channel_->sink()).failed();
}

Result<std::shared_ptr<SinkChannel>> OutputHub::FileChannel(const std::string& path,
                                                           const conf::OutputSpec& spec) {
  auto it = files_by_path_.find(path);
  if (it != files_by_path_.end()) {
    if (auto channel = it->second.lock()) return channel;
  }
  auto sink = options_.open_file(path, spec);
  if (!sink) return Fail(sink.error());
  auto channel = files_.AddChannel(std::move(*sink));
  files_by_path_[path] = channel;
  return channel;
}

std::shared_ptr<SinkChannel> OutputHub::ForwardChannel(Stream stream) {
  return stream == Stream::kStderr ? stderr_channel_ : stdout_channel_;
}

std::shared_ptr<QueueBudget> OutputHub::NewBudget(std::function<void()> resume) {
  auto budget = std::make_shared<QueueBudget>();
  budget->resume_at = options_.queue_bound / 2;
  budget->on_loop = std::move(resume);
  std::weak_ptr<QueueBudget> weak = budget;
  budget->on_drained = [queue = resume_, weak] {
    std::lock_guard lock(queue->mu);
    queue->pending.push_back(weak);
    if (queue->async) uv_async_send(queue->async);
  };
  return budget;
}

void OutputHub::HoldLoop(bool hold) {
  holds_ += hold ? 1 : -1;
  auto* handle = reinterpret_cast<uv_handle_t*>(wake_.get());
  if (holds_ > 0) uv_ref(handle);
  else uv_unref(handle);
}

void OutputHub::OnWake(uv_async_t* handle) noexcept {
  auto* self = static_cast<OutputHub*>(handle->data);
  if (!self) return;
  std::vector<std::weak_ptr<QueueBudget>> due;
  {
    std::lock_guard lock(self->resume_->mu);
    due.swap(self->resume_->pending);
  }
  for (auto& weak : due) {
    auto budget = weak.lock();
    if (!budget || !budget->on_loop) continue;
    try {
      budget->on_loop();
    } catch (const std::exception& e) {
      spdlog::error("output: resume: {}", e.what());
    }
  }
}

}  // namespace sup::daemon::output
