// Micro-benchmark of libsupagent's hot path (SPEC §8: an agent counter update <= 10 ns, no
// system call): sup_counter_add, sup_gauge_set and sup_heartbeat on a real counter page.
// The page is a memfd laid out as supd lays one out (sup/status_shm.h), named by SUP_COUNTERS_FD
// before the agent's first call. Reported, never asserted.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <benchmark/benchmark.h>

#include "sup/agent.h"
#include "sup/status_shm.h"

namespace {

// Creates the page once per process, as supd would hand it to a worker.
bool SetUpPage() {
  static const bool ok = [] {
    const int fd = memfd_create("sup-bench-counters", 0);
    if (fd < 0 || ftruncate(fd, sizeof(sup_counter_page)) != 0) return false;
    sup_counter_page_header h;
    std::memset(&h, 0, sizeof(h));
    h.magic = SUP_COUNTERS_MAGIC;
    h.version = SUP_COUNTERS_VERSION;
    h.header_size = sizeof(sup_counter_page_header);
    h.entry_size = sizeof(sup_counter_entry);
    h.capacity = SUP_COUNTERS_PER_PAGE;
    if (pwrite(fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h))) return false;
    setenv("SUP_COUNTERS_FD", std::to_string(fd).c_str(), 1);
    return sup_agent_has_counters() == 1;
  }();
  return ok;
}

void BM_CounterAdd(benchmark::State& state) {
  if (!SetUpPage()) return state.SkipWithError("no counter page");
  sup_counter_t* c = sup_counter("bench_counter_total");
  for (auto _ : state) sup_counter_add(c, 1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterAdd);
// Every thread on the same counter: the contended worst case (one cache line bouncing).
BENCHMARK(BM_CounterAdd)->Threads(2);

void BM_CounterAddPerThread(benchmark::State& state) {
  if (!SetUpPage()) return state.SkipWithError("no counter page");
  const std::string name = "bench_thread_" + std::to_string(state.thread_index());
  sup_counter_t* c = sup_counter(name.c_str());
  for (auto _ : state) sup_counter_add(c, 1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterAddPerThread)->Threads(2);

void BM_GaugeSet(benchmark::State& state) {
  if (!SetUpPage()) return state.SkipWithError("no counter page");
  sup_counter_t* g = sup_gauge("bench_gauge");
  std::int64_t v = 0;
  for (auto _ : state) sup_gauge_set(g, ++v);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GaugeSet);

void BM_Heartbeat(benchmark::State& state) {
  if (!SetUpPage()) return state.SkipWithError("no counter page");
  for (auto _ : state) sup_heartbeat();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Heartbeat);

}  // namespace

BENCHMARK_MAIN();
