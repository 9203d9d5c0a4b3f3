#include "control/output_queue.h"

#include <malloc.h>

#include <algorithm>
#include <utility>

namespace sup::daemon::control {

void OutputBudget::Add(std::size_t bytes) {
  held_ += bytes;
  peak_ = std::max(peak_, held_);
}

void OutputBudget::Sub(std::size_t bytes) {
  held_ -= bytes;
  if (peak_ - held_ >= kTrimAfter) {
    ::malloc_trim(0);
    peak_ = held_;
  }
}

OutputBatch::OutputBatch(std::vector<OutputChunk> chunks, std::size_t held, std::size_t stream_held,
                         std::shared_ptr<OutputBudget> budget)
    : chunks_(std::move(chunks)), held_(held), stream_held_(stream_held), budget_(std::move(budget)) {}

OutputBatch::~OutputBatch() {
  chunks_.clear();
  chunks_.shrink_to_fit();  // freed before the budget may trim the heap
  budget_->Sub(held_);
}

OutputQueue::OutputQueue(std::shared_ptr<OutputBudget> budget) : budget_(std::move(budget)) {}

OutputQueue::~OutputQueue() { Clear(); }

void OutputQueue::Clear() {
  for (const auto& c : chunks_)
    if (c.stream) stream_held_ -= ChunkHeld(c);
  std::deque<OutputChunk>().swap(chunks_);  // freed before the budget may trim the heap
  budget_->Sub(queued_held_);  // a batch in flight gives its share back itself
  held_ -= queued_held_;
  queued_held_ = 0;
}

void OutputQueue::Grow(std::size_t bytes, bool stream) {
  held_ += bytes;
  queued_held_ += bytes;
  if (stream) stream_held_ += bytes;
  budget_->Add(bytes);
}

void OutputQueue::Append(std::string line, bool reply) {
  const bool stream = !reply;
  if (!chunks_.empty() && chunks_.back().data.size() + line.size() <= kChunkBytes) {
    OutputChunk& back = chunks_.back();
    const std::size_t before = ChunkHeld(back);
    // Sized once for a whole chunk, so that doubling never leaves half of it unused.
    if (back.data.capacity() < kChunkBytes) back.data.reserve(kChunkBytes);
    back.data += line;
    if (stream && !back.stream) {
      back.stream = true;
      stream_held_ += before;  // the whole chunk counts as stream output from now on
    }
    Grow(ChunkHeld(back) - before, back.stream);
  } else {
    // A line of 64 KiB or more (a big status) becomes a chunk of its own, without a copy.
    chunks_.push_back(OutputChunk{std::move(line), stream});
    Grow(ChunkHeld(chunks_.back()), stream);
  }
}

std::unique_ptr<OutputBatch> OutputQueue::Take() {
  if (in_flight_ || chunks_.empty()) return nullptr;
  std::vector<OutputChunk> batch;
  std::size_t held = 0;
  std::size_t stream_held = 0;
  while (!chunks_.empty() && batch.size() < kMaxBatch) {
    const std::size_t chunk_held = ChunkHeld(chunks_.front());
    held += chunk_held;
    if (chunks_.front().stream) stream_held += chunk_held;
    batch.push_back(std::move(chunks_.front()));
    chunks_.pop_front();
  }
  queued_held_ -= held;
  in_flight_ = true;
  return std::make_unique<OutputBatch>(std::move(batch), held, stream_held, budget_);
}

void OutputQueue::Returned(const OutputBatch& batch) {
  held_ -= batch.held();
  stream_held_ -= batch.stream_held();
  in_flight_ = false;
}

}  // namespace sup::daemon::control
