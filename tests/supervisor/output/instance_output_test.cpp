// InstanceOutput on a real loop with real pipes: capture, drain-before-exit, formats, sharing.
#include "output/instance_output.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdint>
#include <regex>
#include <thread>

#include "output/line_splitter.h"
#include "output_test_util.h"

using namespace sup::daemon::output;
using namespace sup::daemon::output::testing;

namespace {

InstanceOutputSpec Spec(const std::string& name, const std::string& stdout_file = "") {
  InstanceOutputSpec s;
  s.program = name.substr(0, name.find(':'));
  s.name = name;
  s.index = name.find(':') == std::string::npos ? 0 : std::stoi(name.substr(name.find(':') + 1));
  s.stdout_file = stdout_file;
  s.stdout_spec.forward = false;
  s.stderr_spec.forward = false;
  return s;
}

// Reads whatever the (non-blocking) pipe holds now.
std::string Slurp(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

std::string Numbered(const char* prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%06d\n", prefix, i);
  return buf;
}

}  // namespace

TEST_CASE("InstanceOutput: 200 000 numbered lines through a real pipe -> all in the file, in order", "[output][loop]") {
  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    InstanceOutput out(hub, Spec("flood", dir / "flood.log"));
    Pipe pipe;
    REQUIRE(out.Attach(pipe.read, -1));
    constexpr int kLines = 200'000;
    std::thread writer([&] {
      std::string chunk;
      for (int i = 0; i < kLines; ++i) {
        chunk += Numbered("n", i);
        if (chunk.size() > 3000) {
          WriteAll(pipe.write, chunk);
          chunk.clear();
        }
      }
      WriteAll(pipe.write, chunk);
      pipe.CloseWrite();
    });
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    writer.join();
    REQUIRE(hub.Shutdown());
    const auto lines = Lines(ReadFile(dir / "flood.log"));
    REQUIRE(lines.size() == kLines);
    bool in_order = true;
    for (int i = 0; i < kLines && in_order; ++i) in_order = lines[i] + "\n" == Numbered("n", i);
    CHECK(in_order);
    CHECK(out.captured_bytes() == static_cast<std::uint64_t>(kLines) * 8);
    CHECK(out.dropped_lines() == 0);
    CHECK(out.error().empty());
  }
  REQUIRE(CloseLoop(loop) == 0);
}

// A plain file route copies runs of whole lines straight from the read buffer, and what was
// carried over from an earlier read, or cut at the limit, line by line. Whatever the read
// boundaries, the file must hold exactly the lines the splitter makes of the stream.
TEST_CASE("InstanceOutput: lines across reads, cut at the limit, empty or unterminated -> the file holds exactly the splitter's lines", "[output][loop]") {
  std::string stream;
  std::uint32_t seed = 777;
  auto next = [&seed] { return (seed = seed * 1103515245u + 12345u) >> 16; };
  for (int i = 0; stream.size() < 3'000'000; ++i) {
    if (i % 13 == 0) {  // an empty line
      stream += '\n';
      continue;
    }
    const std::size_t len = i % 97 == 0 ? LineSplitter::kMaxLine * 2 + next() % 5000  // cut twice
                                        : next() % 300;
    stream += std::to_string(i);
    stream.append(len, static_cast<char>('a' + i % 26));
    stream += '\n';
  }
  stream += "the last line has no newline";
  std::string expected;
  LineSplitter reference;
  auto collect = [&expected](std::string_view line) {
    expected.append(line);
    expected += '\n';
  };
  reference.Feed(stream, collect);
  reference.Finish(collect);

  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    InstanceOutput out(hub, Spec("mixed", dir / "mixed.log"));
    Pipe pipe;
    // As large as the spawner makes it: one read then holds a line longer than the limit.
    REQUIRE(::fcntl(pipe.read, F_SETPIPE_SZ, 1 << 20) >= (1 << 20));
    REQUIRE(out.Attach(pipe.read, -1));
    std::thread writer([&] {
      std::uint32_t wseed = 99;
      for (std::size_t at = 0; at < stream.size();) {
        wseed = wseed * 1103515245u + 12345u;
        const std::size_t n = std::min<std::size_t>(1 + (wseed >> 8) % 300'000, stream.size() - at);
        WriteAll(pipe.write, stream.substr(at, n));
        at += n;
        if ((wseed >> 4) % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      pipe.CloseWrite();
    });
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    writer.join();
    REQUIRE(hub.Shutdown());
    const std::string file = ReadFile(dir / "mixed.log");
    const auto diverge = std::mismatch(file.begin(), file.end(), expected.begin(), expected.end());
    INFO("file " << file.size() << " bytes, expected " << expected.size() << ", first difference at "
                 << (diverge.first - file.begin()));
    CHECK((file.size() == expected.size() && diverge.first == file.end()));
    CHECK(out.captured_bytes() == stream.size());
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: DrainNow after the exit -> bytes written before it captured, EOF not awaited", "[output][loop]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    InstanceOutput out(hub, Spec("job"));
    Pipe pipe;
    REQUIRE(out.Attach(pipe.read, -1));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::string all;
      for (int i = 0; i < 3000; ++i) all += Numbered("c", i);  // 24 000 bytes: fits the pipe
      const char* p = all.data();
      std::size_t left = all.size();
      while (left > 0) {
        const ssize_t n = ::write(pipe.write, p, left);
        if (n <= 0) ::_exit(1);
        p += n;
        left -= static_cast<std::size_t>(n);
      }
      ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    // The parent still holds the write end, as a descendant of the program could.
    out.DrainNow();
    auto tail = out.Tail(5000);
    REQUIRE(tail.size() == 3000);
    CHECK(tail.front().line == "c000000");
    CHECK(tail.back().line == "c002999");
    CHECK(out.attached_pipes() == 1);

    WriteAll(pipe.write, "part");
    out.DrainNow();
    CHECK(out.Tail(5000).size() == 3000);  // a partial line waits for the rest
    WriteAll(pipe.write, "ial\nend");
    pipe.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    tail = out.Tail(2);
    REQUIRE(tail.size() == 2);
    CHECK(tail[0].line == "partial");
    CHECK(tail[1].line == "end");  // flushed at EOF
  }
  REQUIRE(CloseLoop(loop) == 0);
}

// Lines followed in the same read by more than the ring holds are never written to it; the
// ring must still end up exactly as if every line had been appended.
TEST_CASE("InstanceOutput: one read of many times the ring -> the ring holds what appending every line leaves", "[output][loop]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    auto spec = Spec("burst");
    spec.stdout_spec.ring = 1000;
    spec.stderr_spec.ring = 0;
    InstanceOutput out(hub, spec);
    Pipe pipe;
    REQUIRE(out.Attach(pipe.read, -1));
    LogRing model(1000);
    std::string burst;
    std::uint32_t seed = 4242;
    for (int i = 0; burst.size() < 40'000; ++i) {
      seed = seed * 1103515245u + 12345u;
      std::string line = std::to_string(i) + std::string((seed >> 16) % 60, 'z');
      model.Append(Stream::kStdout, {}, line);
      burst += line + "\n";
    }
    WriteAll(pipe.write, burst);  // fits the pipe: one read takes it all
    out.DrainNow();
    const auto want = model.Tail(1000);
    const auto got = out.Tail(1000);
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < got.size(); ++k) CHECK(got[k].line == want[k].line);
    CHECK(out.ring().used() == model.used());
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: forwarding -> 'name | line' on supd's stdout, stderr lines on its stderr", "[output][loop]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Pipe supd_out, supd_err;
  {
    OutputHub hub(loop, {.stdout_fd = supd_out.write, .stderr_fd = supd_err.write});
    hub.SetPrefixWidth(7);
    auto spec = Spec("web:1");
    spec.stdout_spec.forward = spec.stderr_spec.forward = true;
    InstanceOutput out(hub, spec);
    Pipe p_out, p_err;
    REQUIRE(out.Attach(p_out.read, p_err.read));
    WriteAll(p_out.write, "hello\nworld\n");
    WriteAll(p_err.write, "oops\n");
    p_out.CloseWrite();
    p_err.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    REQUIRE(hub.Flush());
    CHECK(Slurp(supd_out.read) == "web:1   | hello\nweb:1   | world\n");
    CHECK(Slurp(supd_err.read) == "web:1   | oops\n");
    const auto err = out.Tail(10, Stream::kStderr);
    REQUIRE(err.size() == 1);
    CHECK(err[0].line == "oops");
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: json forward_format and timestamps -> one object a line, RFC 3339 prefix in the file", "[output][loop]") {
  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Pipe supd_out, supd_err;
  {
    OutputHub hub(loop, {.stdout_fd = supd_out.write, .stderr_fd = supd_err.write});
    auto spec = Spec("api:2", dir / "api.log");
    spec.stdout_spec.forward = true;
    spec.stdout_spec.forward_format = sup::conf::ForwardFormat::kJson;
    spec.stdout_spec.timestamps = true;
    InstanceOutput out(hub, spec);
    Pipe p;
    REQUIRE(out.Attach(p.read, -1));
    WriteAll(p.write, "ready to serve\n");
    p.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    REQUIRE(hub.Flush());
    const auto j = nlohmann::json::parse(Slurp(supd_out.read));
    CHECK(j["program"] == "api");
    CHECK(j["instance"] == 2);
    CHECK(j["stream"] == "stdout");
    CHECK(j["line"] == "ready to serve");
    const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    CHECK(std::regex_match(j["time"].get<std::string>(), rfc3339));
    const std::string file = ReadFile(dir / "api.log");
    CHECK(std::regex_match(file, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ready to serve\n)")));
    CHECK(out.Tail(1)[0].line == "ready to serve");  // the ring keeps the bare line
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: stderr.merge -> stderr lines go to stdout's file and supd's stdout", "[output][loop]") {
  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Pipe supd_out, supd_err;
  {
    OutputHub hub(loop, {.stdout_fd = supd_out.write, .stderr_fd = supd_err.write});
    auto spec = Spec("m", dir / "m.log");
    spec.stdout_spec.forward = true;
    spec.stderr_spec.forward = true;
    spec.stderr_spec.merge = true;
    spec.stderr_file = dir / "ignored.log";
    InstanceOutput out(hub, spec);
    Pipe p_out, p_err;
    REQUIRE(out.Attach(p_out.read, p_err.read));
    WriteAll(p_err.write, "to stderr\n");
    p_err.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 1; }));
    WriteAll(p_out.write, "to stdout\n");
    p_out.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    REQUIRE(hub.Flush());
    CHECK(ReadFile(dir / "m.log") == "to stderr\nto stdout\n");
    CHECK(Slurp(supd_out.read) == "m | to stderr\nm | to stdout\n");
    CHECK(Slurp(supd_err.read).empty());
    CHECK_FALSE(std::filesystem::exists(dir / "ignored.log"));
    CHECK(out.Tail(10, Stream::kStderr).size() == 1);
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: instances sharing one file -> whole lines, never mixed", "[output][loop]") {
  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    InstanceOutput a(hub, Spec("w:0", dir / "w.log"));
    InstanceOutput b(hub, Spec("w:1", dir / "w.log"));
    Pipe pa, pb;
    REQUIRE(a.Attach(pa.read, -1));
    REQUIRE(b.Attach(pb.read, -1));
    constexpr int kLines = 20'000;
    auto writer = [](Pipe& p, const char* prefix, unsigned seed) {
      std::string all;
      for (int i = 0; i < kLines; ++i) all += Numbered(prefix, i);
      std::size_t off = 0;
      while (off < all.size()) {  // odd-sized writes: lines straddle reads
        const std::size_t n = std::min<std::size_t>(all.size() - off, 1 + (seed = seed * 1103515245 + 12345) % 997);
        WriteAll(p.write, all.substr(off, n));
        off += n;
      }
      p.CloseWrite();
    };
    std::thread ta(writer, std::ref(pa), "A-", 1u), tb(writer, std::ref(pb), "B-", 2u);
    REQUIRE(RunUntil(loop, [&] { return a.attached_pipes() == 0 && b.attached_pipes() == 0; }));
    ta.join();
    tb.join();
    REQUIRE(hub.Flush());
    int next_a = 0, next_b = 0;
    bool whole = true;
    for (const auto& line : Lines(ReadFile(dir / "w.log"))) {
      if (line + "\n" == Numbered("A-", next_a)) ++next_a;
      else if (line + "\n" == Numbered("B-", next_b)) ++next_b;
      else whole = false;
    }
    CHECK(whole);
    CHECK(next_a == kLines);
    CHECK(next_b == kLines);
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: unopenable log file -> OpenFiles and Attach fail with the open error", "[output][loop]") {
  TempDir dir;
  { std::ofstream(dir / "plain") << "x"; }
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    InstanceOutput out(hub, Spec("bad", dir / "plain/bad.log"));
    auto r = out.OpenFiles();
    REQUIRE_FALSE(r);
    CHECK(r.error().Message() == "open " + (dir / "plain/bad.log") + ": Not a directory");
    Pipe p;
    REQUIRE_FALSE(out.Attach(p.read, -1));
    CHECK(::fcntl(p.read, F_GETFD) == -1);  // the read end was closed, not leaked
    CHECK(out.attached_pipes() == 0);
  }
  REQUIRE(CloseLoop(loop) == 0);
}

TEST_CASE("InstanceOutput: restart -> ring kept, the old pipe still read until its EOF", "[output][loop]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    InstanceOutput out(hub, Spec("svc"));
    std::vector<std::string> seen;
    out.SetObserver([&](const std::string& name, Stream, auto, std::string_view line) {
      seen.push_back(name + ":" + std::string(line));
    });
    Pipe first;
    REQUIRE(out.Attach(first.read, -1));
    WriteAll(first.write, "run1\n");
    REQUIRE(RunUntil(loop, [&] { return seen.size() == 1; }));
    Pipe second;  // the restart; a descendant still holds the first pipe
    REQUIRE(out.Attach(second.read, -1));
    CHECK(out.attached_pipes() == 2);
    WriteAll(first.write, "late\n");
    REQUIRE(RunUntil(loop, [&] { return seen.size() == 2; }));
    WriteAll(second.write, "run2\n");
    first.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return seen.size() == 3 && out.attached_pipes() == 1; }));
    CHECK(seen == std::vector<std::string>{"svc:run1", "svc:late", "svc:run2"});
    const auto tail = out.Tail(10);
    REQUIRE(tail.size() == 3);
    CHECK(tail[0].line == "run1");
    second.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
  }
  REQUIRE(CloseLoop(loop) == 0);
}

// Reads of 16 times the ring from a 1 MiB pipe: lines a plain file only needs copied are
// not handed out one by one, unless someone follows the instance (`supctl logs -f`).
TEST_CASE("InstanceOutput: a flood -> a follower still sees every line, without one the file alone gets them", "[output][loop]") {
  for (const bool follows : {true, false}) {
    CAPTURE(follows);
    TempDir dir;
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
      OutputHub hub(loop, {});
      auto spec = Spec("flood", dir / "flood.log");
      spec.stdout_spec.ring = 16 * 1024;
      spec.stderr_spec.ring = 0;
      InstanceOutput out(hub, spec);
      std::size_t observed = 0;
      bool in_order = true;
      out.SetObserver(
          [&](const std::string&, Stream, auto, std::string_view line) {
            in_order = in_order && line == Numbered("n", static_cast<int>(observed)).substr(0, 7);
            ++observed;
          },
          [&](const std::string& name) { return follows && name == "flood"; });
      Pipe pipe;
      REQUIRE(::fcntl(pipe.read, F_SETPIPE_SZ, 1 << 20) >= (1 << 20));
      constexpr int kLines = 120'000;  // 960 000 bytes: all in the pipe before the first read
      std::string all;
      for (int i = 0; i < kLines; ++i) all += Numbered("n", i);
      WriteAll(pipe.write, all);
      pipe.CloseWrite();
      REQUIRE(out.Attach(pipe.read, -1));
      REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
      REQUIRE(hub.Shutdown());
      CHECK(ReadFile(dir / "flood.log") == all);
      CHECK(out.Tail(1).at(0).line == "n119999");
      if (follows) {
        CHECK(observed == kLines);
        CHECK(in_order);
      } else {
        CHECK(observed < kLines / 4);  // most lines took the bulk path
      }
    }
    REQUIRE(CloseLoop(loop) == 0);
  }
}

// The ring's share of a read can lie inside one long line: nothing before it may be taken in
// bulk then, and the file and ring must still be exact.
TEST_CASE("InstanceOutput: a long line reaching into the ring's share of a read -> file and ring exact", "[output][loop]") {
  TempDir dir;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, {});
    auto spec = Spec("long", dir / "long.log");
    spec.stdout_spec.ring = 1000;
    spec.stderr_spec.ring = 0;
    InstanceOutput out(hub, spec);
    Pipe pipe;
    REQUIRE(::fcntl(pipe.read, F_SETPIPE_SZ, 1 << 20) >= (1 << 20));
    REQUIRE(out.Attach(pipe.read, -1));
    // First a read that leaves the shared read buffer full of '\n's beyond the next read.
    std::string all;
    for (int i = 0; i < 100'000; ++i) all += "x\n";
    WriteAll(pipe.write, all);
    REQUIRE(RunUntil(loop, [&] { return out.captured_bytes() == all.size(); }));
    const std::string burst = std::string(5000, 'L') + "\nshort\nend\n";
    all += burst;
    WriteAll(pipe.write, burst);
    pipe.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    REQUIRE(hub.Shutdown());
    CHECK(ReadFile(dir / "long.log") == all);
    const auto tail = out.Tail(10);
    REQUIRE(tail.size() == 2);  // the 5 000-byte line did not fit a 1 000-byte ring beside them
    CHECK(tail[0].line == "short");
    CHECK(tail[1].line == "end");
  }
  REQUIRE(CloseLoop(loop) == 0);
}

// A batch's buffer comes from the writers' pool (issue 23): the buffer a written batch gave
// back carries the next read's lines, instead of a fresh allocation whose every page faults in.
// (An empty std::string has room for a few bytes, so "no buffer yet" is not capacity() == 0.)
TEST_CASE("InstanceOutput: a read's batch is written from the buffer an earlier batch gave back", "[output][loop][buffers]") {
  auto state = std::make_shared<FakeSink::State>();
  OutputHub::Options options;
  options.open_file = [state](const std::string&, const sup::conf::OutputSpec&)
      -> sup::Result<std::unique_ptr<LogSink>> {
    return std::unique_ptr<LogSink>(std::make_unique<FakeSink>(state));
  };
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    OutputHub hub(loop, options);
    const InstanceOutputSpec spec = Spec("reuse", "reuse.log");
    InstanceOutput out(hub, spec);
    Pipe pipe;
    REQUIRE(out.Attach(pipe.read, -1));
    auto channel = hub.FileChannel(spec.stdout_file, spec.stdout_spec);
    REQUIRE(channel);
    std::string seed = (*channel)->TakeBuffer(BufferPool::kBufferSize);
    seed += "seed\n";
    (*channel)->Push(std::move(seed), nullptr);
    REQUIRE(hub.Flush());  // written: the pool keeps its buffer

    std::string lines;
    for (int i = 0; i < 1000; ++i) lines += Numbered("r", i);
    WriteAll(pipe.write, lines);
    REQUIRE(RunUntil(loop, [&] { return out.captured_bytes() == lines.size(); }));
    REQUIRE(hub.Flush());
    pipe.CloseWrite();
    REQUIRE(RunUntil(loop, [&] { return out.attached_pipes() == 0; }));
    REQUIRE(hub.Shutdown());
    std::lock_guard lock(state->mu);
    CHECK(state->data == "seed\n" + lines);
    REQUIRE(state->buffers.size() == 2);
    CHECK(state->buffers[1] == state->buffers[0]);
  }
  REQUIRE(CloseLoop(loop) == 0);
}
