// configparser's reading rules, line by line; see ini.h. The comments name the configparser
// behaviour each branch reproduces, since supervisord users rely on its quirks.
#include "ctl/import/ini.h"

#include <limits>

namespace sup::ctl::import {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Strip(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Where the comment of `line` starts, or npos. Full-line comments start with ';' or '#' after
// indentation. Inline ones need whitespace before the prefix, and configparser looks at the
// n-th occurrence of every prefix in round n, stopping at the first round that finds one: a
// quirk kept here so that values read exactly as supervisord reads them.
size_t CommentStart(std::string_view line) {
  const std::string_view stripped = Strip(line);
  if (!stripped.empty() && (stripped.front() == ';' || stripped.front() == '#')) return 0;
  size_t found = std::string_view::npos;
  size_t next[2] = {0, 0};
  bool alive[2] = {true, true};
  const char prefixes[2] = {';', '#'};
  while (found == std::string_view::npos && (alive[0] || alive[1])) {
    for (int p = 0; p < 2; ++p) {
      if (!alive[p]) continue;
      const size_t at = line.find(prefixes[p], next[p]);
      if (at == std::string_view::npos) {
        alive[p] = false;
        continue;
      }
      next[p] = at + 1;
      if (at == 0 || IsSpace(line[at - 1])) found = std::min(found, at);
    }
  }
  return found;
}

size_t Indent(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  return i;
}

// configparser joins an option's lines with '\n' and strips the end (trailing blank lines).
std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  while (!out.empty() && IsSpace(out.back())) out.pop_back();
  return out;
}

class Reader {
 public:
  Reader(const std::string& file, IniDocument& doc) : file_(file), doc_(doc) {}

  void Line(std::string_view raw, int number) {
    const size_t comment = CommentStart(raw);
    const std::string_view value = Strip(raw.substr(0, comment));
    if (value.empty()) {
      // A blank line (not a comment line) belongs to the open value if more lines follow.
      if (comment == std::string_view::npos && entry_ != kNone) pending_.emplace_back();
      return;
    }
    const size_t indent = Indent(raw);
    if (entry_ != kNone && indent > indent_level_) {
      pending_.emplace_back(value);  // a continuation line
      return;
    }
    Finish();
    indent_level_ = indent;
    if (value.front() == '[' && value.find(']') != std::string_view::npos) {
      const size_t close = value.rfind(']');
      if (close > 1) {
        OpenSection(std::string(value.substr(1, close - 1)), number);
        return;
      }
    }
    if (section_ == kNone) {
      Error(number, "a key before any [section] header: " + std::string(value));
      return;
    }
    const size_t delim = value.find_first_of("=:");
    const std::string key = delim == std::string_view::npos ? "" : Lower(Strip(value.substr(0, delim)));
    if (key.empty()) {
      Error(number, "not a `key = value` line: " + std::string(value));
      return;
    }
    SetEntry(key, std::string(Strip(value.substr(delim + 1))), number);
  }

  void Finish() {
    if (entry_ == kNone) return;
    IniEntry& e = doc_.sections[section_].entries[entry_];
    e.value = Join(pending_);
    pending_.clear();
    entry_ = kNone;
  }

 private:
  void OpenSection(std::string name, int number) {
    for (size_t i = 0; i < doc_.sections.size(); ++i) {
      if (doc_.sections[i].name == name) {  // strict = false: a repeated section merges
        section_ = i;
        return;
      }
    }
    doc_.sections.push_back(IniSection{std::move(name), file_, number, {}});
    section_ = doc_.sections.size() - 1;
  }

  void SetEntry(const std::string& key, std::string first, int number) {
    auto& entries = doc_.sections[section_].entries;
    size_t index = kNone;
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].key == key) index = i;
    if (index == kNone) {
      entries.push_back(IniEntry{key, "", file_, number});
      index = entries.size() - 1;
    }
    entries[index].file = file_;
    entries[index].line = number;
    entry_ = index;
    pending_.assign(1, std::move(first));
  }

  void Error(int number, std::string message) {
    doc_.errors.push_back(IniError{file_, number, std::move(message)});
  }

  const std::string& file_;
  IniDocument& doc_;
  size_t section_ = kNone;
  size_t entry_ = kNone;  // the entry whose lines are still being read
  std::vector<std::string> pending_;
  size_t indent_level_ = 0;
};

}  // namespace

const IniEntry* IniSection::Find(std::string_view key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

IniSection* IniDocument::Find(std::string_view name) {
  for (auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

const IniSection* IniDocument::Find(std::string_view name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

void ParseIni(std::string_view text, const std::string& file, IniDocument& doc) {
  Reader reader(file, doc);
  int number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    reader.Line(text.substr(start, end - start), number);
    start = end + 1;
  }
  reader.Finish();
}

}  // namespace sup::ctl::import
