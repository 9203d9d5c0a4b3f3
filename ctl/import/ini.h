// The reader of supervisord's config format: Python configparser's rules as supervisord sets
// them up (RawConfigParser, inline `;`/`#` comments after whitespace, strict = false). Text in,
// sections of key/value entries out, each entry with the file and line it came from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sup::ctl::import {

struct IniEntry {
  std::string key;    // lower-cased, as configparser's optionxform does
  std::string value;  // continuation lines joined with '\n', trailing blank lines dropped
  std::string file;
  int line = 0;       // the line of `key = value`
};

struct IniSection {
  std::string name;  // between the brackets, as written ("program:web")
  std::string file;
  int line = 0;      // the header's line in the file that first opened the section
  std::vector<IniEntry> entries;  // first appearance order; a later value replaces an earlier one

  const IniEntry* Find(std::string_view key) const;
};

struct IniError {
  std::string file;
  int line = 0;
  std::string message;
};

struct IniDocument {
  std::vector<IniSection> sections;  // first appearance order
  std::vector<IniError> errors;      // configparser would refuse the file for each of these

  IniSection* Find(std::string_view name);
  const IniSection* Find(std::string_view name) const;
};

// Reads `text` (the contents of `file`) into `doc`. Sections already in `doc` are merged into,
// key by key, as configparser does when supervisord reads an [include]d file after the main one.
void ParseIni(std::string_view text, const std::string& file, IniDocument& doc);

}  // namespace sup::ctl::import
