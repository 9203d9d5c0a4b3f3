// The terminal as `supctl top` drives it, with plain ANSI/VT100 sequences (no curses): raw
// keyboard input, the alternate screen, a hidden cursor, the window size, and the signals
// that must reach the loop (SIGWINCH, SIGTERM, SIGINT, SIGHUP) through a self-pipe.
// Owns fd 0's termios settings for its lifetime: the destructor puts back exactly what it
// found, whatever way the program leaves (q, Ctrl-C, SIGTERM, supd gone, an exception).
#pragma once

#include <termios.h>

#include <cstddef>
#include <string_view>

namespace sup::ctl {

struct WindowSize {
  std::size_t columns = 80;
  std::size_t rows = 24;
};

// The size of the terminal on `fd`; `COLUMNS`/`LINES` fill what the kernel reports as 0;
// nullopt-free: falls back to 80x24.
WindowSize TerminalSize(int fd);

class Terminal {
 public:
  // Takes over the terminal on fds 0 (input) and 1 (output). Check ok() before use.
  Terminal();
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool ok() const { return ok_; }
  // Readable when a watched signal arrived; DrainSignals() then says which.
  int signal_fd() const { return pipe_[0]; }
  struct Signals {
    bool resized = false;
    bool quit = false;  // TERM, INT or HUP
  };
  Signals DrainSignals();

  // One write of the whole frame (a frame is never split across writes).
  void Write(std::string_view bytes);

 private:
  void Restore();

  bool ok_ = false;
  termios saved_{};
  int pipe_[2] = {-1, -1};
};

}  // namespace sup::ctl
