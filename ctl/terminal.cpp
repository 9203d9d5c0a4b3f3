#include "ctl/terminal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace sup::ctl {
namespace {

// Alternate screen, hidden cursor, then home; undone in reverse by kLeave.
constexpr std::string_view kEnter = "\x1b[?1049h\x1b[?25l\x1b[H";
constexpr std::string_view kLeave = "\x1b[0m\x1b[?25h\x1b[?1049l";
constexpr int kWatched[] = {SIGWINCH, SIGTERM, SIGINT, SIGHUP};

// The write end of the live Terminal's self-pipe, for the handler (one Terminal at a time).
int g_signal_pipe = -1;

void OnSignal(int signo) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(signo);
  if (g_signal_pipe >= 0) (void)!::write(g_signal_pipe, &byte, 1);
  errno = saved;
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the terminal is gone: nothing else to do with the frame
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t FromEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return end != v && *end == '\0' && n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace

WindowSize TerminalSize(int fd) {
  WindowSize size;
  winsize ws{};
  std::size_t columns = 0, rows = 0;
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0) {
    columns = ws.ws_col;
    rows = ws.ws_row;
  }
  if (columns == 0) columns = FromEnv("COLUMNS");
  if (rows == 0) rows = FromEnv("LINES");
  if (columns > 0) size.columns = columns;
  if (rows > 0) size.rows = rows;
  return size;
}

Terminal::Terminal() {
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) return;
  if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return;
  g_signal_pipe = pipe_[1];
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int signo : kWatched) ::sigaction(signo, &sa, nullptr);

  // Raw input: bytes as typed, no echo, Ctrl-C as a key (0x03) rather than SIGINT, no
  // flow control; output processing stays on, so "\n" still returns the carriage.
  termios raw = saved_;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
  raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL | INLCR | ISTRIP | BRKINT);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
    Restore();
    return;
  }
  WriteAll(STDOUT_FILENO, kEnter);
  ok_ = true;
}

Terminal::~Terminal() { Restore(); }

void Terminal::Restore() {
  if (ok_) {
    WriteAll(STDOUT_FILENO, kLeave);
    (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    ok_ = false;
  }
  if (pipe_[0] >= 0) {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int signo : kWatched) ::sigaction(signo, &sa, nullptr);
    g_signal_pipe = -1;
    ::close(pipe_[0]);
    ::close(pipe_[1]);
    pipe_[0] = pipe_[1] = -1;
  }
}

Terminal::Signals Terminal::DrainSignals() {
  Signals seen;
  unsigned char buf[64];
  for (;;) {
    const ssize_t n = ::read(pipe_[0], buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == SIGWINCH) seen.resized = true;
      else seen.quit = true;
    }
  }
  return seen;
}

void Terminal::Write(std::string_view bytes) { WriteAll(STDOUT_FILENO, bytes); }

}  // namespace sup::ctl
