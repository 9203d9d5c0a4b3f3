#include "ctl/top_screen.h"

#include <algorithm>

namespace sup::ctl {
namespace {

constexpr std::string_view kHelp =
    "j/k select  s start  x stop  r restart  l log  / filter  q quit";

// A CSI ("ESC [") or SS3 ("ESC O") sequence starting at bytes[0] == ESC: its length, and
// the key it stands for (kind kChar with ch 0 for one we do not use).
std::size_t DecodeEscape(std::string_view bytes, Key& key) {
  if (bytes.size() == 1 || (bytes[1] != '[' && bytes[1] != 'O')) {
    key = Key{Key::Kind::kEscape};
    return 1;
  }
  // Parameters and intermediates run up to the final byte (0x40-0x7e).
  std::size_t end = 2;
  while (end < bytes.size() && !(bytes[end] >= 0x40 && bytes[end] <= 0x7e)) ++end;
  if (end == bytes.size()) return bytes.size();  // cut short: drop it
  const std::string_view params = bytes.substr(2, end - 2);
  key = Key{Key::Kind::kChar, 0};
  switch (bytes[end]) {
    case 'A': key.kind = Key::Kind::kUp; break;
    case 'B': key.kind = Key::Kind::kDown; break;
    case 'H': key.kind = Key::Kind::kHome; break;
    case 'F': key.kind = Key::Kind::kEnd; break;
    case '~':
      if (params == "5") key.kind = Key::Kind::kPageUp;
      if (params == "6") key.kind = Key::Kind::kPageDown;
      if (params == "1" || params == "7") key.kind = Key::Kind::kHome;
      if (params == "4" || params == "8") key.kind = Key::Kind::kEnd;
      break;
    default: break;
  }
  return end + 1;
}

std::size_t IndexOf(const std::vector<TopRow>& rows, const std::string& name) {
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].name == name) return i;
  return std::string::npos;
}

void Select(TopScreen& screen, const std::vector<TopRow>& rows, long long index) {
  if (rows.empty()) return;
  index = std::clamp<long long>(index, 0, static_cast<long long>(rows.size()) - 1);
  screen.selected = rows[static_cast<std::size_t>(index)].name;
}

TopCommand TableKey(TopScreen& screen, const Key& key, const std::vector<TopRow>& rows) {
  const std::size_t at = IndexOf(rows, screen.selected);
  const long long cur = at == std::string::npos ? 0 : static_cast<long long>(at);
  const bool has_selection = at != std::string::npos;
  switch (key.kind) {
    case Key::Kind::kUp: Select(screen, rows, cur - 1); return {};
    case Key::Kind::kDown: Select(screen, rows, cur + 1); return {};
    case Key::Kind::kPageUp: Select(screen, rows, cur - 10); return {};
    case Key::Kind::kPageDown: Select(screen, rows, cur + 10); return {};
    case Key::Kind::kHome: Select(screen, rows, 0); return {};
    case Key::Kind::kEnd: Select(screen, rows, static_cast<long long>(rows.size()) - 1); return {};
    case Key::Kind::kEscape: screen.filter.clear(); return {};
    case Key::Kind::kEnter:
      if (!has_selection) return {};
      return TableKey(screen, Key{Key::Kind::kChar, 'l'}, rows);
    case Key::Kind::kChar: break;
    default: return {};
  }
  switch (key.ch) {
    case 'k': Select(screen, rows, cur - 1); return {};
    case 'j': Select(screen, rows, cur + 1); return {};
    case 'g': Select(screen, rows, 0); return {};
    case 'G': Select(screen, rows, static_cast<long long>(rows.size()) - 1); return {};
    case '/': screen.mode = TopMode::kFilter; return {};
    case 'q': return {TopCommand::Kind::kQuit, "", ""};
    case 's':
    case 'x':
    case 'r': {
      if (!has_selection) return {};
      const char* verb = key.ch == 's' ? "start" : key.ch == 'x' ? "stop" : "restart";
      return {TopCommand::Kind::kAction, verb, screen.selected};
    }
    case 'l':
      if (!has_selection) return {};
      screen.mode = TopMode::kLog;
      screen.log_name = screen.selected;
      screen.log_lines.clear();
      return {TopCommand::Kind::kOpenLog, "", screen.selected};
    default: return {};
  }
}

TopCommand FilterKey(TopScreen& screen, const Key& key) {
  switch (key.kind) {
    case Key::Kind::kEnter: screen.mode = TopMode::kTable; break;
    case Key::Kind::kEscape:
      screen.filter.clear();
      screen.mode = TopMode::kTable;
      break;
    case Key::Kind::kBackspace:
      if (!screen.filter.empty()) screen.filter.pop_back();
      break;
    case Key::Kind::kChar:
      if (static_cast<unsigned char>(key.ch) >= 0x20 && screen.filter.size() < 64) screen.filter += key.ch;
      break;
    default: break;
  }
  return {};
}

// Display columns of a line that may hold SGR sequences (ESC [ ... m), which take none.
std::size_t VisibleColumns(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    n += (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80 ? 0 : 1;
  }
  return n;
}

// `text` fits the width already. The rest of the line is erased only when the text stopped
// short of the edge: at the edge the cursor waits on the last column, and an erase there
// would remove that column's character.
void AppendFitted(std::string& frame, std::string_view text, std::size_t columns, bool last) {
  frame += text;
  if (VisibleColumns(text) < columns) frame += "\x1b[K";
  if (!last) frame += "\r\n";
}

}  // namespace

std::vector<Key> DecodeKeys(std::string_view bytes) {
  std::vector<Key> keys;
  while (!bytes.empty()) {
    const unsigned char c = static_cast<unsigned char>(bytes[0]);
    Key key{Key::Kind::kChar, static_cast<char>(c)};
    std::size_t used = 1;
    if (c == 0x1b) used = DecodeEscape(bytes, key);
    else if (c == 0x03) key = Key{Key::Kind::kCtrlC};
    else if (c == '\r' || c == '\n') key = Key{Key::Kind::kEnter};
    else if (c == 0x7f || c == 0x08) key = Key{Key::Kind::kBackspace};
    bytes.remove_prefix(used);
    if (key.kind == Key::Kind::kChar && key.ch == 0) continue;  // a sequence we do not use
    keys.push_back(key);
  }
  return keys;
}

std::vector<TopRow> VisibleRows(const std::vector<TopRow>& rows, const std::string& filter) {
  if (filter.empty()) return rows;
  std::vector<TopRow> out;
  for (const auto& row : rows)
    if (row.name.find(filter) != std::string::npos) out.push_back(row);
  return out;
}

TopCommand HandleKey(TopScreen& screen, const Key& key, const std::vector<TopRow>& rows) {
  screen.message.clear();
  screen.message_is_error = false;
  if (key.kind == Key::Kind::kCtrlC) return {TopCommand::Kind::kQuit, "", ""};
  switch (screen.mode) {
    case TopMode::kTable: return TableKey(screen, key, rows);
    case TopMode::kFilter: return FilterKey(screen, key);
    case TopMode::kLog:
      if (key.kind == Key::Kind::kEscape) {
        screen.mode = TopMode::kTable;
        screen.log_lines.clear();
        return {TopCommand::Kind::kCloseLog, "", screen.log_name};
      }
      if (key.kind == Key::Kind::kChar && key.ch == 'q') return {TopCommand::Kind::kQuit, "", ""};
      return {};
  }
  return {};
}

void KeepSelectionVisible(TopScreen& screen, const std::vector<TopRow>& rows, std::size_t table_rows) {
  std::size_t at = IndexOf(rows, screen.selected);
  if (at == std::string::npos) {
    screen.selected = rows.empty() ? "" : rows.front().name;
    at = 0;
  }
  if (table_rows == 0) return;
  if (at < screen.first) screen.first = at;
  if (at >= screen.first + table_rows) screen.first = at + 1 - table_rows;
  if (screen.first + table_rows > rows.size()) screen.first = rows.size() > table_rows ? rows.size() - table_rows : 0;
}

void AddLogLine(TopScreen& screen, std::string line) {
  screen.log_lines.push_back(std::move(line));
  while (screen.log_lines.size() > TopScreen::kMaxLogLines) screen.log_lines.pop_front();
}

std::string RenderFrame(const TopScreen& screen, std::string_view headline, const std::vector<TopRow>& rows,
                        std::size_t columns, std::size_t lines, bool colour) {
  if (columns == 0 || lines == 0) return "";
  std::string frame = "\x1b[H";
  std::size_t drawn = 0;
  auto line = [&](std::string_view text, const char* sgr = "") {
    if (drawn >= lines) return;
    ++drawn;
    const std::string_view fit = FitColumns(text, columns);
    const bool paint = colour && *sgr != '\0';
    AppendFitted(frame, paint ? "\x1b[" + std::string(sgr) + "m" + std::string(fit) + "\x1b[0m" : std::string(fit),
                 columns, drawn == lines);
  };
  const std::size_t body = lines > 2 ? lines - 2 : 0;  // between the title and the status line

  if (screen.mode == TopMode::kLog) {
    line("log of " + screen.log_name + " (following; Esc: back to the table)", "1");
    const std::size_t n = std::min(body, screen.log_lines.size());
    for (std::size_t i = screen.log_lines.size() - n; i < screen.log_lines.size(); ++i) line(screen.log_lines[i]);
    for (std::size_t i = n; i < body; ++i) line("");
  } else {
    std::string title(headline);
    if (!screen.filter.empty() || screen.mode == TopMode::kFilter)
      title += "  filter: " + screen.filter + " (" + std::to_string(rows.size()) + " shown)";
    line(title);
    const std::size_t table_rows = body > 0 ? body - 1 : 0;
    const std::size_t first = std::min(screen.first, rows.size());
    const std::size_t count = std::min(table_rows, rows.size() - first);
    const std::vector<TopRow> shown(rows.begin() + static_cast<long>(first),
                                    rows.begin() + static_cast<long>(first + count));
    std::size_t highlight = std::string::npos;
    for (std::size_t i = 0; i < shown.size(); ++i)
      if (shown[i].name == screen.selected) highlight = i;
    const auto table = LayoutTable(shown, columns, colour, highlight);
    for (std::size_t i = 0; i < table.size() && drawn + 1 < lines; ++i) {
      ++drawn;  // laid out to the width already
      AppendFitted(frame, table[i], columns, false);
    }
    while (drawn + 1 < lines) line("");
  }
  if (screen.mode == TopMode::kFilter) {
    line("/" + screen.filter + "_   (Enter: keep, Esc: clear)");
  } else if (!screen.message.empty()) {
    line(screen.message, screen.message_is_error ? "31" : "");
  } else {
    line(kHelp, "2");
  }
  return frame;
}

}  // namespace sup::ctl
