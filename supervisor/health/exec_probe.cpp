#include "health/exec_probe.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

extern char** environ;

namespace sup::daemon {
namespace {

constexpr size_t kTail = 512;        // enough for one line of a failing curl
constexpr size_t kDetailLine = 160;  // what of it goes into the detail
constexpr int kDrainReads = 32;      // bounded: a grandchild may keep writing

std::vector<std::string> SupdEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

ExecProbe::ExecProbe(uv_loop_t& loop, const Spawner& spawner, Reaper& reaper, const HealthTarget& target)
    : loop_(loop), spawner_(spawner), reaper_(reaper) {
  request_.argv = target.exec_argv;
  request_.env = target.exec_env.empty() ? SupdEnvironment() : target.exec_env;
  request_.directory = target.exec_directory;
  request_.uid = target.exec_uid;
  request_.gid = target.exec_gid;
  request_.user = target.exec_user;
  request_.capture_output = true;  // never supd's own stdout
  request_.merge_stderr = true;
  request_.new_session = true;     // so that a timeout can kill the whole group
}

ExecProbe::~ExecProbe() {
  if (pid_ > 0 && !reaped_) {
    if (!Kill(pid_, SIGKILL, true)) (void)Kill(pid_, SIGKILL, false);
    reaper_.Watch(pid_, [](ExitStatus) {});  // replaces the watch that points at *this
  }
}

Result<void> ExecProbe::Start(DoneFn done) {
  if (request_.argv.empty()) return Fail(Error{ErrorCode::kInvalidConfig, 0, "exec: empty command"});
  auto child = spawner_.Spawn(request_);
  if (!child) return Fail(child.error());
  pid_ = child->pid;
  done_ = std::move(done);
  reaper_.Watch(pid_, [this](ExitStatus status) { OnExit(status); });

  // Output is read and dropped so a chatty command never blocks on a full pipe (a closed
  // read end would kill it with SIGPIPE instead, failing a healthy service).
  auto* pipe = new uv_pipe_t;
  uv_pipe_init(&loop_, pipe, 0);  // cannot fail for ipc = 0
  output_.reset(pipe);
  pipe->data = this;
  int rc = uv_pipe_open(pipe, child->stdout_read.get());
  if (rc == 0) {
    child->stdout_read.release();  // the pipe handle owns it now
    rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe), &ExecProbe::OnAlloc, &ExecProbe::OnRead);
  }
  if (rc != 0) {
    done_ = nullptr;  // the destructor kills the command and leaves a no-op watch
    return Fail(Error{ErrorCode::kLibuv, rc, std::string("exec: reading its output: ") + uv_strerror(rc)});
  }
  return {};
}

void ExecProbe::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<ExecProbe*>(handle->data);
  *buf = self ? uv_buf_init(self->buffer_.data(), self->buffer_.size()) : uv_buf_init(nullptr, 0);
}

void ExecProbe::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<ExecProbe*>(stream->data);
  if (self == nullptr) return;
  if (nread > 0) {
    self->Keep(buf->base, static_cast<size_t>(nread));
  } else if (nread < 0) {
    uv_read_stop(stream);  // EOF or error: the exit decides, not the pipe
  }
}

void ExecProbe::Keep(const char* data, size_t size) {
  tail_.append(data, size);
  if (tail_.size() > kTail) tail_.erase(0, tail_.size() - kTail);
}

void ExecProbe::DrainNow() {
  if (!output_) return;
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(output_.get()), &fd) != 0) return;
  for (int i = 0; i < kDrainReads; ++i) {  // the fd is O_NONBLOCK: this never waits
    const ssize_t n = ::read(fd, buffer_.data(), buffer_.size());
    if (n > 0) {
      Keep(buffer_.data(), static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
}

std::string ExecProbe::LastLine() const {
  size_t end = tail_.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  const size_t newline = tail_.rfind('\n', end);
  const size_t begin = newline == std::string::npos ? 0 : newline + 1;
  std::string line = tail_.substr(begin, end + 1 - begin);
  if (line.size() > kDetailLine) line = line.substr(0, kDetailLine - 3) + "...";
  return line;
}

void ExecProbe::OnExit(ExitStatus status) {
  reaped_ = true;
  DrainNow();
  const bool passed = !status.by_signal() && status.code == 0;
  std::string detail = status.Brief();
  if (!passed) {
    if (const std::string line = LastLine(); !line.empty()) detail += ": " + line;
  }
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(passed, detail);  // last act: may destroy *this
}

}  // namespace sup::daemon
