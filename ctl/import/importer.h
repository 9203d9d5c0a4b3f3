// `supctl import supervisord FILE`: a supervisord config (with its [include] files) -> the
// sup.toml that means the same, plus a warning, with its line, for everything that could not
// be carried over. The result always loads (it is checked with conf::LoadString).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ctl/import/convert.h"
#include "ctl/import/model.h"

namespace sup::ctl::import {

struct ImportResult {
  std::string toml;               // the converted config; "" when `errors` is not empty
  std::vector<Warning> warnings;  // in file order
  // Why nothing could be converted (unreadable file, a line configparser rejects), or, after a
  // conversion, why its output does not load (then `toml` is kept, to be reported as a bug).
  std::vector<std::string> errors;
};

// Reads `path` and the files its [include] names (globs relative to its directory).
ImportResult ImportSupervisord(const std::string& path, const ImportOptions& options);

// As ImportSupervisord, for text in memory labelled `path` (includes still read from disk).
ImportResult ImportSupervisordText(std::string_view text, const std::string& path, const ImportOptions& options);

}  // namespace sup::ctl::import
