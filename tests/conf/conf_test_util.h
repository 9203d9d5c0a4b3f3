// Shared by the conf tests: loading TOML text with a fixed environment, and temp directories.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "sup/conf/loader.h"

namespace sup::conf::test {

inline const Environment& TestEnv() {
  static const Environment env{{"HOME", "/home/u"},  {"PORT", "8080"}, {"DATA", "/srv/data"},
                               {"EMPTY", ""},        {"DOLLAR", "a$b"}, {"XDG_RUNTIME_DIR", "/run/user/1000"}};
  return env;
}

constexpr const char* kLabel = "/etc/sup/sup.toml";

inline LoadResult Load(std::string_view text, uid_t uid = 1000) {
  return LoadString(text, kLabel, TestEnv(), uid);
}

inline std::string Errors(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.ToString() + "\n";
  return out;
}

// Loads text that must be valid; the test fails with every error otherwise.
inline Config LoadOk(std::string_view text, uid_t uid = 1000) {
  LoadResult r = Load(text, uid);
  INFO(Errors(r));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config.has_value());
  return std::move(*r.config);
}

// Loads text that must hold exactly one error, and returns it.
inline ConfigError OnlyError(std::string_view text, uid_t uid = 1000) {
  LoadResult r = Load(text, uid);
  INFO(Errors(r));
  REQUIRE(r.errors.size() == 1);
  CHECK_FALSE(r.config.has_value());
  return r.errors.front();
}

// A fresh directory under $TMPDIR, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sup-conf-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Write(const std::string& name, std::string_view text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace sup::conf::test
