// The interactive `supctl top` screen as data: keys decoded from the terminal's bytes, what
// each key does to the screen's state, and the frame drawn from it. Pure (no I/O, no clock):
// top_interactive.cpp feeds it keys and snapshots and carries out the commands it returns.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/top_rows.h"

namespace sup::ctl {

struct Key {
  enum class Kind { kChar, kUp, kDown, kPageUp, kPageDown, kHome, kEnd, kEnter, kEscape, kBackspace, kCtrlC };
  Kind kind = Kind::kChar;
  char ch = 0;  // kChar
  bool operator==(const Key&) const = default;
};

// Splits what one read() from the terminal returned into keys. Escape sequences of the arrow
// and paging keys (CSI and SS3 forms) are single keys; a lone ESC is Escape; unknown sequences
// are dropped whole.
std::vector<Key> DecodeKeys(std::string_view bytes);

enum class TopMode { kTable, kFilter, kLog };

struct TopScreen {
  TopMode mode = TopMode::kTable;
  std::string filter;     // substring of the name; "" shows every instance
  std::string selected;   // the selected instance's name: stays on it across refreshes
  std::size_t first = 0;  // the first row shown, when the rows do not fit
  std::string message;    // the status line's text until the next key ("" = the key help)
  bool message_is_error = false;
  std::string log_name;   // kLog: whose log ring is shown
  std::deque<std::string> log_lines;  // kLog: the newest kMaxLogLines lines
  static constexpr std::size_t kMaxLogLines = 2000;
};

// What the loop must do after a key.
struct TopCommand {
  enum class Kind { kNone, kQuit, kAction, kOpenLog, kCloseLog } kind = Kind::kNone;
  std::string verb;  // kAction: start, stop or restart
  std::string name;  // kAction, kOpenLog: the instance
};

// The rows whose name contains the filter, in segment order.
std::vector<TopRow> VisibleRows(const std::vector<TopRow>& rows, const std::string& filter);

// Applies `key` to `screen`; `rows` is what is shown now (VisibleRows).
TopCommand HandleKey(TopScreen& screen, const Key& key, const std::vector<TopRow>& rows);

// Puts the selection on an existing row (the first one when the selected instance is gone)
// and scrolls so that it is on screen with `table_rows` rows visible.
void KeepSelectionVisible(TopScreen& screen, const std::vector<TopRow>& rows, std::size_t table_rows);

// Appends one line of the log view, dropping the oldest beyond kMaxLogLines.
void AddLogLine(TopScreen& screen, std::string line);

// The whole frame: cursor home, each line cut to the width and followed by erase-to-end-of-
// line, then erase-below. Drawn over the previous frame, never after a clear: no flicker.
std::string RenderFrame(const TopScreen& screen, std::string_view headline, const std::vector<TopRow>& rows,
                        std::size_t columns, std::size_t lines, bool colour);

}  // namespace sup::ctl
