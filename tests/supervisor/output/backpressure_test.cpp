// Back-pressure and failing sinks: a slow sink pauses only its own program's pipe, "drop"
// counts, a dead supd stdout pauses nothing; plus reopen and reconfigure through the hub.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "output/instance_output.h"
#include "output_test_util.h"

using namespace sup::daemon::output;
using namespace sup::daemon::output::testing;

namespace {

// Hub options whose log files are FakeSinks, one State per path.
struct FakeFiles {
  std::map<std::string, std::shared_ptr<FakeSink::State>> states;
  std::shared_ptr<FakeSink::State> operator[](const std::string& path) {
    auto& s = states[path];
    if (!s) s = std::make_shared<FakeSink::State>();
    return s;
  }
  OutputHub::FileOpener Opener() {
    return [this](const std::string& path, const sup::conf::OutputSpec&)
               -> sup::Result<std::unique_ptr<LogSink>> {
      return std::unique_ptr<LogSink>(std::make_unique<FakeSink>((*this)[path]));
    };
  }
};

InstanceOutputSpec Spec(const std::string& name, const std::string& file) {
  InstanceOutputSpec s;
  s.program = s.name = name;
  s.stdout_file = file;
  s.stdout_spec.forward = s.stderr_spec.forward = false;
  return s;
}

std::string Line(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%09d\n", i);  // 10 bytes
  return buf;
}

// Writes `n` numbered lines (blocking) then closes the write end; run on its own thread.
void Produce(Pipe& p, int n) {
  std::string chunk;
  for (int i = 0; i < n; ++i) {
    chunk += Line(i);
    if (chunk.size() >= 1000) {
      WriteAll(p.write, chunk);
      chunk.clear();
    }
  }
  WriteAll(p.write, chunk);
  p.CloseWrite();
}

bool AllInOrder(const std::string& data, int n) {
  const auto lines = Lines(data);
  if (lines.size() != static_cast<std::size_t>(n)) return false;
  for (int i = 0; i < n; ++i)
    if (lines[i] + "\n" != Line(i)) return false;
  return true;
}

}  // namespace

TEST_CASE("Backpressure block: a slow sink pauses only its program's pipe, the other keeps flowing, nothing lost", "[output][loop][backpressure]") {
  FakeFiles files;
  auto slow = files["slow.log"];
  auto fast = files["fast.log"];
  FakeSink::SetGate(*slow, false);  // the slow sink's writes block until we open it
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {.queue_bound = 4096, .open_file = files.Opener()});
    InstanceOutput a(hub, Spec("a", "slow.log"));
    InstanceOutput b(hub, Spec("b", "fast.log"));
    Pipe pa, pb;
    REQUIRE(a.Attach(pa.read, -1));
    REQUIRE(b.Attach(pb.read, -1));
    constexpr int kLines = 50'000;  // 500 KB: far more than the pipe and the bound hold
    std::thread ta(Produce, std::ref(pa), kLines);
    REQUIRE(RunUntil(loop, [&] { return a.paused(); }));

    std::thread tb(Produce, std::ref(pb), kLines);
    REQUIRE(RunUntil(loop, [&] { return b.attached_pipes() == 0; }));
    REQUIRE(hub.Flush(std::chrono::milliseconds(0)) == false);  // a's lines are still stuck
    tb.join();
    CHECK(a.paused());
    CHECK(a.attached_pipes() == 1);
    CHECK(a.captured_bytes() < static_cast<std::uint64_t>(kLines) * 10);

    FakeSink::SetGate(*slow, true);
    REQUIRE(RunUntil(loop, [&] { return a.attached_pipes() == 0; }));
    ta.join();
    REQUIRE(hub.Flush());
    CHECK_FALSE(a.paused());
    CHECK(AllInOrder(FakeSink::Data(*fast), kLines));
    CHECK(AllInOrder(FakeSink::Data(*slow), kLines));
    CHECK(a.dropped_lines() == 0);
    CHECK(b.dropped_lines() == 0);
  }
  FakeSink::SetGate(*slow, true);
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("Backpressure drop: lines that do not fit are dropped and counted, the pipe is never paused", "[output][loop][backpressure]") {
  FakeFiles files;
  auto slow = files["d.log"];
  FakeSink::SetGate(*slow, false);
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {.queue_bound = 4096, .open_file = files.Opener()});
    auto spec = Spec("d", "d.log");
    spec.stdout_spec.backpressure = sup::conf::Backpressure::kDrop;
    InstanceOutput out(hub, spec);
    Pipe p;
    REQUIRE(out.Attach(p.read, -1));
    constexpr int kLines = 20'000;
    std::thread t(Produce, std::ref(p), kLines);
    bool ever_paused = false;
    REQUIRE(RunUntil(loop, [&] {
      ever_paused = ever_paused || out.paused();
      return out.attached_pipes() == 0;
    }));
    t.join();
    CHECK_FALSE(ever_paused);
    CHECK(out.captured_bytes() == static_cast<std::uint64_t>(kLines) * 10);
    CHECK(out.dropped_lines() > 0);
    CHECK(out.Tail(1).at(0).line == "000019999");  // the ring is never dropped from
    FakeSink::SetGate(*slow, true);
    REQUIRE(hub.Flush());
    const auto written = Lines(FakeSink::Data(*slow));
    CHECK(written.size() + out.dropped_lines() == static_cast<std::size_t>(kLines));
    CHECK(written.size() * 10 <= 4096 + 10);  // what fitted in the bound while the sink was stuck
  }
  FakeSink::SetGate(*slow, true);
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("Forward failure: supd's stdout is a closed pipe -> logged once, counted, nothing paused, files still written", "[output][loop][backpressure]") {
  FakeFiles files;
  auto file = files["f.log"];
  Pipe supd_out;
  ::close(supd_out.read);  // nobody will ever read supd's stdout: writes fail with EPIPE
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {.stdout_fd = supd_out.write, .queue_bound = 4096, .open_file = files.Opener()});
    auto spec = Spec("f", "f.log");
    spec.stdout_spec.forward = true;  // block mode, the default
    InstanceOutput out(hub, spec);
    Pipe p;
    REQUIRE(out.Attach(p.read, -1));
    constexpr int kLines = 50'000;
    std::thread t(Produce, std::ref(p), kLines);
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    t.join();
    REQUIRE(hub.Flush());
    CHECK(hub.stdout_failed());
    CHECK_FALSE(hub.stderr_failed());
    CHECK(hub.forward_errors() == 1);
    CHECK(out.captured_bytes() == static_cast<std::uint64_t>(kLines) * 10);
    CHECK(out.dropped_lines() == 0);
    CHECK(AllInOrder(FakeSink::Data(*file), kLines));
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("OutputHub: ReopenFiles and InstanceOutput::Reopen -> each open file is reopened", "[output][loop]") {
  FakeFiles files;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {.open_file = files.Opener()});
    InstanceOutput a(hub, Spec("a", "a.log"));
    InstanceOutput b(hub, Spec("b", "b.log"));
    REQUIRE(a.OpenFiles());
    REQUIRE(b.OpenFiles());
    hub.ReopenFiles();
    a.Reopen();
    REQUIRE(hub.Flush());
    CHECK(files["a.log"]->reopens == 2);
    CHECK(files["b.log"]->reopens == 1);
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: Reconfigure with a renamed file -> later lines go to the new file", "[output][loop]") {
  FakeFiles files;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {.open_file = files.Opener()});
    InstanceOutput out(hub, Spec("r", "old.log"));
    Pipe p;
    REQUIRE(out.Attach(p.read, -1));
    WriteAll(p.write, "first\n");
    REQUIRE(RunUntil(loop, [&] { return out.Tail(5).size() == 1; }));
    REQUIRE(out.Reconfigure(Spec("r", "new.log")));
    WriteAll(p.write, "second\n");
    p.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    REQUIRE(hub.Flush());
    CHECK(FakeSink::Data(*files["old.log"]) == "first\n");
    CHECK(FakeSink::Data(*files["new.log"]) == "second\n");
    CHECK(out.Tail(5).size() == 2);  // the ring survives
  }
  REQUIRE(CloseLoop(loop) == 0);
}
