// The two lexers supervisord applies to values: shlex.split (POSIX rules) for `command`, and
// shlex's classic mode for `environment = KEY="v",KEY2=v2`. Both work on templates, where a
// reference (${X}, process_num) counts as a plain word character.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ctl/import/template.h"

namespace sup::ctl::import {

struct SplitCommand {
  std::vector<Template> words;
  // The first shell feature outside single quotes (`|`, `&&`, `>`, `$HOME`, a backquote…): a
  // shell would interpret it, supervisord passes it to the program as text. "" when none.
  std::string shell_feature;
  std::string error;  // "" on success (shlex's "No closing quotation", …)
};

SplitCommand SplitShlex(const Template& command);

struct EnvPairs {
  std::vector<std::pair<std::string, Template>> pairs;  // in order; a repeated key keeps the last
  // Tokens where a comma belongs ("world" in A=hello world): supervisord skips them silently.
  std::vector<std::string> skipped;
  std::string error;
};

// supervisord's dict_of_key_value_pairs: KEY=VALUE separated by commas; quotes ('…' or "…")
// let a value hold commas or spaces, and are removed.
EnvPairs ParseEnvPairs(const Template& text);

}  // namespace sup::ctl::import
