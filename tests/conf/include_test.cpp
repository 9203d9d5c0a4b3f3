// `include`: globs relative to the including file, sorted, errors named after their file.
#include <catch2/catch.hpp>

#include "conf_test_util.h"

using namespace sup::conf;
using sup::conf::test::Errors;
using sup::conf::test::TempDir;
using sup::conf::test::TestEnv;

TEST_CASE("Include: glob relative to the main file -> matches read in sorted order", "[conf][include]") {
  TempDir dir;
  const std::string main = dir.Write("sup.toml", R"([supervisor]
include = ["conf.d/*.toml", "nothing/*.toml"]
[program.first]
command = "/bin/first"
)");
  dir.Write("conf.d/20-b.toml", "[program.b]\ncommand = \"/bin/b\"\n[group.bg]\nprograms = [\"b\", \"a\", \"first\"]\n");
  dir.Write("conf.d/10-a.toml", "[program.a]\ncommand = \"/bin/a\"\ndepends_on = [\"b\"]\n");
  dir.Write("conf.d/ignored.txt", "not toml at all [");
  const LoadResult r = LoadFile(main, TestEnv(), 1000);
  INFO(Errors(r));
  REQUIRE(r.config);
  const Config& c = *r.config;
  REQUIRE(c.programs.size() == 3);
  CHECK(c.programs[0].name == "first");
  CHECK(c.programs[1].name == "a");
  CHECK(c.programs[1].pos.file == dir.path() + "/conf.d/10-a.toml");
  CHECK(c.programs[2].name == "b");
  REQUIRE(c.groups.size() == 1);
  CHECK(c.groups[0].name == "bg");
}

TEST_CASE("Include: a glob that also matches the main file -> main file read once", "[conf][include]") {
  TempDir dir;
  const std::string main = dir.Write("sup.toml", "[supervisor]\ninclude = [\"*.toml\"]\n[program.m]\ncommand = \"/bin/m\"\n");
  dir.Write("x.toml", "[program.x]\ncommand = \"/bin/x\"\n");
  const LoadResult r = LoadFile(main, TestEnv(), 1000);
  INFO(Errors(r));
  REQUIRE(r.config);
  CHECK(r.config->programs.size() == 2);
}

TEST_CASE("Include: errors in included files -> reported with that file's name", "[conf][include]") {
  TempDir dir;
  const std::string main = dir.Write("sup.toml", "[supervisor]\ninclude = [\"/" + dir.path().substr(1) + "/inc/*.toml\"]\n");
  const std::string syntax = dir.Write("inc/a.toml", "[program.a\ncommand = 1\n");
  const std::string typo = dir.Write("inc/b.toml", "[program.b]\ncommand = \"/bin/b\"\nstop_timout = \"1s\"\n");
  const LoadResult r = LoadFile(main, TestEnv(), 1000);
  INFO(Errors(r));
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].pos.file == syntax);
  CHECK(r.errors[0].pos.line == 1);
  CHECK(r.errors[0].message.starts_with("syntax error: "));
  CHECK(r.errors[1].ToString() == typo + ":3:1: unknown key `stop_timout` in [program.b] \u2014 did you mean `stop_timeout`?");
}

TEST_CASE("Include: LoadString resolves globs next to its path label", "[conf][include]") {
  TempDir dir;
  dir.Write("more.toml", "[program.more]\ncommand = \"/bin/more\"\n");
  const LoadResult r = LoadString("[supervisor]\ninclude = [\"more.toml\"]\n", dir.path() + "/virtual.toml", TestEnv(), 1000);
  INFO(Errors(r));
  REQUIRE(r.config);
  REQUIRE(r.config->programs.size() == 1);
  CHECK(r.config->programs[0].name == "more");
}

TEST_CASE("Include: dependencies and groups may cross files", "[conf][include]") {
  TempDir dir;
  const std::string main = dir.Write("sup.toml", R"([supervisor]
include = ["db.toml"]
[program.web]
command = "/bin/web"
depends_on = { db = "ready" }
)");
  dir.Write("db.toml", "[program.db]\ncommand = \"/bin/db\"\ndepends_on = [\"web\"]\n");
  const LoadResult r = LoadFile(main, TestEnv(), 1000);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message == "dependency cycle: db -> web -> db");
  CHECK(r.errors[0].pos.file == dir.path() + "/db.toml");
}
