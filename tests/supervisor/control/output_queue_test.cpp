// OutputQueue counts the memory really held by a connection's output (SPEC §9.1).
#include <catch2/catch.hpp>

#include "control/output_queue.h"

using sup::daemon::control::OutputBudget;
using sup::daemon::control::OutputQueue;

TEST_CASE("OutputQueue: small lines share a chunk, and held counts its capacity and bookkeeping",
          "[control][output]") {
  auto budget = std::make_shared<OutputBudget>();
  OutputQueue q(budget);
  for (int i = 0; i < 1000; ++i) q.Append(std::string(60, 'x') + "\n", false);
  // 61 000 bytes of lines: one chunk, sized for 64 KiB at the second line.
  CHECK(q.held() >= OutputQueue::kChunkBytes);
  CHECK(q.held() < OutputQueue::kChunkBytes + 4096);
  CHECK(q.stream_held() == q.held());
  CHECK(budget->held() == q.held());
  auto batch = q.Take();
  REQUIRE(batch);
  CHECK(batch->chunks().size() == 1);
  CHECK(batch->chunks()[0].data.size() == 61000);
  CHECK_FALSE(q.Take());  // one batch at a time
  q.Returned(*batch);
  CHECK(q.held() == 0);
  CHECK(budget->held() == batch->held());  // libuv still has it
  batch.reset();
  CHECK(budget->held() == 0);
  CHECK(q.empty());
}

TEST_CASE("OutputQueue: replies and stream lines -> only chunks with stream lines count as stream",
          "[control][output]") {
  auto budget = std::make_shared<OutputBudget>();
  OutputQueue q(budget);
  q.Append(std::string(100 * 1024, 'r') + "\n", true);  // a big reply: a chunk of its own
  const std::size_t reply_held = q.held();
  CHECK(reply_held > 100 * 1024);
  CHECK(q.stream_held() == 0);
  q.Append("{\"id\":1,\"ok\":true,\"result\":{}}\n", false);
  CHECK(q.stream_held() == q.held() - reply_held);
  q.Append("{\"id\":2,\"ok\":true,\"result\":{}}\n", true);  // joins the stream's chunk
  CHECK(q.stream_held() == q.held() - reply_held);
  // Many chunks: a batch takes at most kMaxBatch of them.
  for (int i = 0; i < 20; ++i) q.Append(std::string(40 * 1024, 's') + "\n", false);
  auto batch = q.Take();
  REQUIRE(batch);
  CHECK(batch->chunks().size() == OutputQueue::kMaxBatch);
  CHECK(batch->stream_held() == batch->held() - reply_held);
  q.Returned(*batch);
  batch.reset();
  // Clear drops the rest and gives its memory back.
  q.Clear();
  CHECK(q.held() == 0);
  CHECK(q.stream_held() == 0);
  CHECK(budget->held() == 0);
}

TEST_CASE("OutputQueue: cleared while a batch is out -> the batch keeps its share until freed",
          "[control][output]") {
  auto budget = std::make_shared<OutputBudget>();
  auto q = std::make_unique<OutputQueue>(budget);
  for (int i = 0; i < 8; ++i) q->Append(std::string(70 * 1024, 'a') + "\n", false);
  auto batch = q->Take();
  REQUIRE(batch);
  q.reset();  // the connection is gone
  CHECK(budget->held() == batch->held());
  batch.reset();
  CHECK(budget->held() == 0);
}
