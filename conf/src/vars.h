// Load-time string processing of sup.toml values: ${VAR} / ${VAR:-default} expansion from
// supd's environment, and the shell-like word splitting of a string `command`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sup/conf/config.h"

namespace sup::conf {

// kKeep: the value is expanded per instance later (ForInstance), so ${SUP_PROGRAM},
// ${SUP_INSTANCE} and ${SUP_INSTANCE+N} are validated and kept, `$$` stays `$$` and every `$`
// coming from the environment is escaped as `$$`. kForbidden: they are errors and `$$` -> `$`.
enum class InstanceVars { kForbidden, kKeep };

struct VarsResult {
  std::string text;
  std::string error;  // "" on success
};

VarsResult ExpandVars(std::string_view in, const Environment& env, InstanceVars mode);

// True for the names ForInstance expands (SUP_PROGRAM, SUP_INSTANCE).
bool IsInstanceVar(std::string_view name);

// Splits like a POSIX shell splits words: blanks separate, '…' is literal, "…" honours \ before
// $ ` " \ and newline, an unquoted \ escapes any character. No globs, ~ or $( ). `$` is left for
// ExpandVars. An unquoted | & ; < > ( ) or a backquote is an error that suggests `shell = true`.
struct WordsResult {
  std::vector<std::string> words;
  std::string error;
};
WordsResult SplitWords(std::string_view command);

}  // namespace sup::conf
