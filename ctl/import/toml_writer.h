// Writes an OutConfig as sup.toml text by hand: keys in the order an operator reads them
// (toml++ would sort them) and strings escaped as TOML basic strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ctl/import/model.h"

namespace sup::ctl::import {

// A TOML basic string ("…"), escaping quotes, backslashes and control characters. Bytes that
// are not valid UTF-8 become U+FFFD (TOML text is UTF-8); `replaced` says whether any did.
std::string TomlString(std::string_view text, bool* replaced = nullptr);

// A bare key when it is one ([A-Za-z0-9_-]+), else a quoted one.
std::string TomlKey(std::string_view key);

// The whole document: a header naming `config.source`, the warnings as comments, then
// [supervisor], every [program.*] and every [group.*].
std::string WriteToml(const OutConfig& config, const std::vector<Warning>& warnings);

}  // namespace sup::ctl::import
