// supervisord's %(name)s expansions, resolved as far as an import can: names known when the
// file is read (here, program_name, ENV_X set in the config) become text; ENV_X from supd's
// environment and process_num stay references that sup expands itself (${X}, ${SUP_INSTANCE}).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sup/conf/config.h"

namespace sup::ctl::import {

struct Piece {
  enum class Kind { kText, kEnv, kProcessNum };
  Kind kind = Kind::kText;
  std::string text;    // kText: the text; kEnv: the variable's name (without ENV_)
  std::string format;  // kProcessNum: the conversion as written after ")" ("d", "02d", "s")

  bool operator==(const Piece&) const = default;
};

// A value as a sequence of text and references, adjacent texts merged.
using Template = std::vector<Piece>;

Template Text(std::string text);
void Append(Template& out, const Template& more);
void AppendText(Template& out, std::string_view text);
bool HasReferences(const Template& t);
bool UsesProcessNum(const Template& t);
// The text of a template without references ("" pieces for them); for names and messages.
std::string PlainText(const Template& t);

// What %(name)s may name in one value. Names not in `names` are looked up as ENV_X in `env`
// (a reference when set there, an error when not: supervisord refuses such a file).
struct Scope {
  std::map<std::string, Template> names;
  const conf::Environment* env = nullptr;
  bool allow_process_num = false;  // else %(process_num) is an unknown name
};

struct Expanded {
  Template value;
  std::string error;  // "" on success; else supervisord would refuse this value
};

// Python's `raw % names`: %(name)CONV with flags, width and precision, and %% for %.
Expanded Interpolate(std::string_view raw, const Scope& scope);

// Python's "%" + format applied to an integer ("02d" on 3 -> "03"); false if unsupported.
bool FormatInt(long long value, std::string_view format, std::string& out);

// `t` with every process_num reference formatted for `index` (ENV references stay).
Template WithProcessNum(const Template& t, long long index);

// True when formatting process_num for every index in [first, first + count) gives its plain
// decimal digits, so ${SUP_INSTANCE+first} writes it exactly.
bool ProcessNumIsPlain(const Template& t, long long first, long long count);

}  // namespace sup::ctl::import
