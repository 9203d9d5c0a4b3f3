// Shared by the importer tests: import text, then load the result with sup's own loader.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "ctl/import/importer.h"
#include "sup/conf/loader.h"

namespace sup::ctl::import::testing {

inline ImportOptions Options(uid_t euid = 0) {
  ImportOptions o;
  o.env = {{"HOME", "/root"}, {"PATH", "/usr/bin:/bin"}, {"APP_PORT", "8080"}};
  o.euid = euid;
  o.hostname = "host1";
  return o;
}

struct Imported {
  ImportResult result;
  conf::Config config;

  const conf::ProgramSpec& Program(const std::string& name) const {
    const conf::ProgramSpec* p = config.FindProgram(name);
    INFO("program " << name << " in:\n" << result.toml);
    REQUIRE(p != nullptr);
    return *p;
  }

  // True when some warning is at `line` and contains `part`.
  bool Warned(int line, const std::string& part) const {
    for (const auto& w : result.warnings)
      if (w.line == line && w.message.find(part) != std::string::npos) return true;
    return false;
  }
};

// `path` labels the text (%(here)s is its directory); includes are read from disk.
inline Imported Import(const std::string& text, const ImportOptions& options = Options(),
                       const std::string& path = "/etc/supervisor/supervisord.conf") {
  Imported out;
  out.result = ImportSupervisordText(text, path, options);
  std::string errors;
  for (const auto& e : out.result.errors) errors += e + "\n";
  std::string warnings;
  for (const auto& w : out.result.warnings) warnings += w.ToString() + "\n";
  INFO("errors:\n" << errors << "warnings:\n" << warnings << "toml:\n" << out.result.toml);
  REQUIRE(out.result.errors.empty());
  conf::LoadResult loaded = conf::LoadString(out.result.toml, "imported.toml", options.env, options.euid);
  REQUIRE(loaded.errors.empty());
  out.config = std::move(*loaded.config);
  return out;
}

}  // namespace sup::ctl::import::testing
