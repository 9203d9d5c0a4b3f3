#include <catch2/catch.hpp>

#include "ctl/top_rows.h"
#include "ctl/top_screen.h"

using namespace sup::ctl;

namespace {

std::vector<TopRow> Rows(std::initializer_list<const char*> names) {
  std::vector<TopRow> rows;
  for (const char* n : names) {
    TopRow r;
    r.name = n;
    r.state = "RUNNING";
    r.state_sgr = "32";
    r.restarts = "0";
    r.ready = "ready";
    r.counters = "requests_total=123456789 queue_depth=4";
    rows.push_back(r);
  }
  return rows;
}

// The frame's lines with the escape sequences taken out.
std::vector<std::string> PlainLines(const std::string& frame) {
  std::string plain;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    if (frame[i] == '\x1b') {
      ++i;
      if (i < frame.size() && frame[i] == '[')
        while (i < frame.size() && !(frame[i] >= 0x40 && frame[i] <= 0x7e && frame[i] != '[')) ++i;
      continue;
    }
    if (frame[i] != '\r') plain += frame[i];
  }
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = plain.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(plain.substr(start, nl - start));
  lines.push_back(plain.substr(start));
  return lines;
}

}  // namespace

TEST_CASE("DecodeKeys: arrows in CSI and SS3 form, paging, a lone Esc, Ctrl-C, Enter", "[top]") {
  using K = Key::Kind;
  const auto keys = DecodeKeys("\x1b[A\x1bOBj\x1b[5~\x1b[6~\r\x03\x7f\x1b");
  REQUIRE(keys.size() == 9);
  CHECK(keys[0].kind == K::kUp);
  CHECK(keys[1].kind == K::kDown);
  CHECK(keys[2] == Key{K::kChar, 'j'});
  CHECK(keys[3].kind == K::kPageUp);
  CHECK(keys[4].kind == K::kPageDown);
  CHECK(keys[5].kind == K::kEnter);
  CHECK(keys[6].kind == K::kCtrlC);
  CHECK(keys[7].kind == K::kBackspace);
  CHECK(keys[8].kind == K::kEscape);
  CHECK(DecodeKeys("\x1b[1;5Cq") == std::vector<Key>{Key{K::kChar, 'q'}});  // Ctrl-Right: not ours
}

TEST_CASE("HandleKey: j/k move the selection, s/x/r act on it, l opens its log, q quits", "[top]") {
  TopScreen screen;
  const auto rows = Rows({"web:0", "web:1", "worker"});
  KeepSelectionVisible(screen, rows, 10);
  CHECK(screen.selected == "web:0");
  HandleKey(screen, Key{Key::Kind::kChar, 'j'}, rows);
  HandleKey(screen, Key{Key::Kind::kDown}, rows);
  HandleKey(screen, Key{Key::Kind::kDown}, rows);  // stays on the last
  CHECK(screen.selected == "worker");
  HandleKey(screen, Key{Key::Kind::kChar, 'k'}, rows);
  CHECK(screen.selected == "web:1");
  auto cmd = HandleKey(screen, Key{Key::Kind::kChar, 'x'}, rows);
  CHECK(cmd.kind == TopCommand::Kind::kAction);
  CHECK(cmd.verb == "stop");
  CHECK(cmd.name == "web:1");
  CHECK(HandleKey(screen, Key{Key::Kind::kChar, 'r'}, rows).verb == "restart");
  CHECK(HandleKey(screen, Key{Key::Kind::kChar, 's'}, rows).verb == "start");
  cmd = HandleKey(screen, Key{Key::Kind::kChar, 'l'}, rows);
  CHECK(cmd.kind == TopCommand::Kind::kOpenLog);
  CHECK(screen.mode == TopMode::kLog);
  CHECK(HandleKey(screen, Key{Key::Kind::kEscape}, rows).kind == TopCommand::Kind::kCloseLog);
  CHECK(screen.mode == TopMode::kTable);
  CHECK(HandleKey(screen, Key{Key::Kind::kChar, 'q'}, rows).kind == TopCommand::Kind::kQuit);
  CHECK(HandleKey(screen, Key{Key::Kind::kCtrlC}, rows).kind == TopCommand::Kind::kQuit);
}

TEST_CASE("HandleKey: / edits the filter, Enter keeps it, Esc clears it", "[top]") {
  TopScreen screen;
  const auto rows = Rows({"web:0", "worker"});
  HandleKey(screen, Key{Key::Kind::kChar, '/'}, rows);
  for (char c : std::string("wox")) HandleKey(screen, Key{Key::Kind::kChar, c}, rows);
  HandleKey(screen, Key{Key::Kind::kBackspace}, rows);
  CHECK(screen.mode == TopMode::kFilter);
  CHECK(HandleKey(screen, Key{Key::Kind::kChar, 'q'}, rows).kind == TopCommand::Kind::kNone);  // typed
  HandleKey(screen, Key{Key::Kind::kBackspace}, rows);
  HandleKey(screen, Key{Key::Kind::kEnter}, rows);
  CHECK(screen.filter == "wo");
  CHECK(screen.mode == TopMode::kTable);
  const auto shown = VisibleRows(rows, screen.filter);
  REQUIRE(shown.size() == 1);
  CHECK(shown[0].name == "worker");
  HandleKey(screen, Key{Key::Kind::kEscape}, rows);
  CHECK(screen.filter.empty());
}

TEST_CASE("RenderFrame: exactly one line per terminal row, none wider than the terminal", "[top]") {
  TopScreen screen;
  const auto rows = Rows({"web:0", "web:1", "worker", "db", "cache"});
  for (std::size_t columns : {30u, 60u, 200u}) {
    for (std::size_t lines : {4u, 6u, 24u}) {
      KeepSelectionVisible(screen, rows, lines - 3);
      const std::string frame = RenderFrame(screen, "supd pid 1, up 5s, 5 instances", rows, columns, lines, true);
      CHECK(frame.rfind("\x1b[H", 0) == 0);             // drawn over the last frame from the top
      CHECK(frame.find("\x1b[2J") == std::string::npos);  // never a clear: no flicker
      const auto plain = PlainLines(frame);
      CHECK(plain.size() == lines);
      for (const auto& line : plain) CHECK(DisplayColumns(line) <= columns);
    }
  }
}

TEST_CASE("RenderFrame: the selection scrolls into view, and the log view shows the newest lines", "[top]") {
  TopScreen screen;
  const auto rows = Rows({"a", "b", "c", "d", "e", "f", "g", "h"});
  screen.selected = "h";
  KeepSelectionVisible(screen, rows, 3);
  auto plain = PlainLines(RenderFrame(screen, "x", rows, 80, 6, false));
  CHECK(plain[2].rfind("f ", 0) == 0);
  CHECK(plain[4].rfind("h ", 0) == 0);

  screen.mode = TopMode::kLog;
  screen.log_name = "h";
  for (int i = 0; i < 10; ++i) AddLogLine(screen, "line " + std::to_string(i));
  plain = PlainLines(RenderFrame(screen, "x", rows, 80, 6, false));
  CHECK(plain[0].find("log of h") != std::string::npos);
  CHECK(plain[1] == "line 6");
  CHECK(plain[4] == "line 9");
}

TEST_CASE("LayoutTable: CPU% and MEM show - until supd publishes them, and lines are cut to the width", "[top]") {
  auto rows = Rows({"web"});
  const auto lines = LayoutTable(rows, 0, false);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("CPU%") != std::string::npos);
  CHECK(lines[1].find("-    -") != std::string::npos);
  for (const auto& l : LayoutTable(rows, 25, false)) CHECK(DisplayColumns(l) <= 25);
}

TEST_CASE("TopRows: CPU% and MEM from the usage of the slot's own pid", "[ctl][top]") {
  sup::daemon::Snapshot snap;
  for (std::uint32_t i = 0; i < 3; ++i) {
    sup::daemon::SnapshotSlot slot;
    slot.index = i;
    slot.data.name = "w:" + std::to_string(i);
    slot.data.state = i == 2 ? SUP_STATE_STOPPED : SUP_STATE_RUNNING;
    slot.data.pid = i == 2 ? 0 : 100 + static_cast<int>(i);
    snap.slots.push_back(slot);
  }
  UsageBySlot usage;
  usage[0] = SlotUsage{100, 3.0, 12.46, 555745280, 1};
  usage[1] = SlotUsage{999, 3.0, 50, 1 << 20, 1};  // an older process of that slot: not shown
  const auto rows = TopRows(snap, {}, 0, usage);
  CHECK(rows[0].cpu == "12.5");
  CHECK(rows[0].mem == "530MiB");
  CHECK(rows[1].cpu == "-");
  CHECK(rows[1].mem == "-");
  CHECK(rows[2].cpu == "-");
}
