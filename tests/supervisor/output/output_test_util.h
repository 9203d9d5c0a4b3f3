// Shared by the output tests: temp dirs, pipes, a bounded loop runner and FakeSink.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "output/log_sink.h"

namespace sup::daemon::output::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sup-output-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// {read end: non-blocking, CLOEXEC (what the spawner returns); write end: blocking, CLOEXEC}.
struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
    read = fds[0];
    write = fds[1];
    ::fcntl(read, F_SETFL, ::fcntl(read, F_GETFL) | O_NONBLOCK);
  }
  void CloseWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
  ~Pipe() { CloseWrite(); }  // `read` is handed over to InstanceOutput by the tests
};

inline void WriteAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) std::abort();
    off += static_cast<std::size_t>(n);
  }
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// Runs `loop` until `done()` or `timeout` (generous: a bound, not a measurement). A 5 ms
// timer keeps uv_run from sleeping forever while the condition is met by another thread.
inline bool RunUntil(uv_loop_t& loop, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  uv_timer_t tick;
  uv_timer_init(&loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 5, 5);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = done();
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    uv_run(&loop, UV_RUN_ONCE);
    ok = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);
  return ok;
}

// Runs the loop until only closed handles are left, then closes it: 0 when nothing leaked.
inline int CloseLoop(uv_loop_t& loop) {
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop);
}

// A sink that records what it gets; with a closed gate its Write() blocks until Open().
class FakeSink : public LogSink {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::string data;
    bool gate_open = true;
    int writes = 0;
    std::vector<const char*> buffers;  // where each write's bytes were
    int reopens = 0;
    std::optional<std::size_t> room;  // set: data never grows past it (a full disk)
  };
  explicit FakeSink(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::size_t Write(std::string_view lines) override {
    std::unique_lock lock(state_->mu);
    state_->cv.wait(lock, [&] { return state_->gate_open; });
    // A full "disk": only what fits in `room` is taken, whole lines only.
    std::size_t take = lines.size();
    if (state_->room) {
      take = 0;
      for (std::size_t nl; (nl = lines.find('\n', take)) != std::string_view::npos &&
                           state_->data.size() + nl + 1 <= *state_->room;)
        take = nl + 1;
    }
    state_->data.append(lines.substr(0, take));
    ++state_->writes;
    state_->buffers.push_back(lines.data());
    return take;
  }
  void Reopen() override {
    std::lock_guard lock(state_->mu);
    ++state_->reopens;
  }

  static void SetGate(State& s, bool open) {
    {
      std::lock_guard lock(s.mu);
      s.gate_open = open;
    }
    s.cv.notify_all();
  }
  static void SetRoom(State& s, std::optional<std::size_t> room) {
    std::lock_guard lock(s.mu);
    s.room = room;
  }
  static std::string Data(State& s) {
    std::lock_guard lock(s.mu);
    return s.data;
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace sup::daemon::output::testing
