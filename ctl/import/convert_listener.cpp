// [eventlistener:x]. sup has no event listener protocol, but one pattern is common enough to
// carry over: a listener on PROCESS_STATE_FATAL or PROCESS_STATE_EXITED that kills supervisord,
// so that the container ends when a program dies. sup says that with on_fatal = "shutdown" on the
// programs it watched; every other listener is reported and left out.
#include <algorithm>
#include <cctype>

#include "ctl/import/convert.h"
#include "ctl/import/words.h"

namespace sup::ctl::import {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Events a listener gets when a program dies (PROCESS_STATE is the parent of both).
bool WatchesDeaths(const std::string& events) {
  for (size_t start = 0; start <= events.size();) {
    size_t comma = events.find(',', start);
    if (comma == std::string::npos) comma = events.size();
    std::string item = events.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item == "PROCESS_STATE_FATAL" || item == "PROCESS_STATE_EXITED" || item == "PROCESS_STATE") return true;
    start = comma + 1;
  }
  return false;
}

// What the listener does, guessed from its command: scripts that end supervisord are named or
// written for it ("kill -QUIT $PPID", "supervisorctl shutdown", "stop-supervisor.sh").
bool EndsSupervisord(const std::string& command) {
  const std::string c = Lower(command);
  for (const char* word : {"kill", "shutdown", "stop", "quit", "exit", "terminate", "die"})
    if (c.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace

void Converter::EventListeners() {
  for (const IniSection* s : listeners_) {
    const IniEntry* events = s->Find("events");
    const IniEntry* command = s->Find("command");
    const std::string where = "[" + s->name + "]";
    if (!events || !command || !WatchesDeaths(events->value) || !EndsSupervisord(command->value)) {
      Warn(s->file, s->line, where + ": sup has no event listener protocol (`supctl events` streams state "
                             "changes as JSON lines); the section is not carried over");
      continue;
    }
    // A listener that names programs in its command watches those; otherwise every program.
    const SplitCommand words = SplitShlex(Template{Piece{Piece::Kind::kText, command->value, ""}});
    std::vector<OutProgram*> watched;
    for (auto& p : out_.programs) {
      const bool named = std::any_of(words.words.begin(), words.words.end(), [&](const Template& w) {
        const std::string text = PlainText(w);
        return text == p.supervisord_name || text.find("," + p.supervisord_name) != std::string::npos ||
               text.find(p.supervisord_name + ",") != std::string::npos;
      });
      if (named) watched.push_back(&p);
    }
    if (watched.empty())
      for (auto& p : out_.programs) watched.push_back(&p);
    std::string names;
    for (OutProgram* p : watched) {
      p->on_fatal_shutdown = true;
      p->on_fatal_comment = "from " + where + " (events = " + events->value + "), which ends supervisord when a "
                            "program dies: supd shuts down when this one goes FATAL (or a one-shot exits failed)";
      names += (names.empty() ? "" : ", ") + p->name;
    }
    Warn(s->file, s->line, where + ": written as on_fatal = \"shutdown\" on " + names +
                               " (sup has no event listener protocol: check that this is what the listener did)");
    for (const auto& e : s->entries)
      if (e.key != "events" && e.key != "command") Warn(e, "an event listener's key; not carried over");
  }
}

}  // namespace sup::ctl::import
