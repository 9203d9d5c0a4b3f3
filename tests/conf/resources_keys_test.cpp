// memory_max, memory_check_interval, cpu_max and [supervisor] cgroup (SPEC §9.2): values,
// defaults, errors with their line:col, and how reload treats them.
#include <catch2/catch.hpp>

#include "conf_test_util.h"
#include "sup/conf/diff.h"

using namespace sup::conf;
using sup::conf::test::LoadOk;
using sup::conf::test::OnlyError;

namespace {
std::string At(const ConfigError& e) { return std::to_string(e.pos.line) + ":" + std::to_string(e.pos.column); }
}  // namespace

TEST_CASE("Resources: defaults are off, 5s and auto", "[conf][resources]") {
  const Config c = LoadOk("[program.a]\ncommand = \"/bin/a\"\n");
  CHECK(c.programs[0].memory_max == 0);
  CHECK(c.programs[0].memory_check_interval == Duration(5'000));
  CHECK(c.programs[0].cpu_max == 0);
  CHECK(c.supervisor.cgroup == CgroupMode::kAuto);
}

TEST_CASE("Resources: values in their units", "[conf][resources]") {
  const Config c = LoadOk(
      "[supervisor]\ncgroup = \"off\"\n[program.a]\ncommand = \"/bin/a\"\nmemory_max = \"512MiB\"\n"
      "memory_check_interval = \"250ms\"\ncpu_max = \"150%\"\n");
  CHECK(c.programs[0].memory_max == 512ull << 20);
  CHECK(c.programs[0].memory_check_interval == Duration(250));
  CHECK(c.programs[0].cpu_max == 150);
  CHECK(c.programs[0].cpu_max_pos.line == 7);
  CHECK(c.supervisor.cgroup == CgroupMode::kOff);
}

TEST_CASE("Resources: bad values name the key, its table and its position", "[conf][resources]") {
  ConfigError e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nmemory_max = \"lots\"\n");
  CHECK(At(e) == "3:14");
  CHECK(e.message.find("memory_max") != std::string::npos);
  CHECK(e.message.find("bad size \"lots\"") != std::string::npos);
  e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nmemory_max = 0\n");
  CHECK(e.message == "`memory_max` in [program.a] must be above 0 (leave it out for no limit)");
  e = OnlyError("[program.a]\ncommand = \"/bin/a\"\nmemory_check_interval = \"0\"\n");
  CHECK(e.message == "`memory_check_interval` in [program.a] must be above 0");
  e = OnlyError("[program.a]\ncommand = \"/bin/a\"\ncpu_max = \"half\"\n");
  CHECK(At(e) == "3:11");
  CHECK(e.message == "bad cpu_max \"half\" in [program.a] (expected a share of one CPU from \"1%\" to "
                     "\"100000%\", e.g. \"50%\" or \"200%\")");
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\ncpu_max = \"0%\"\n").message.starts_with("bad cpu_max"));
  CHECK(OnlyError("[program.a]\ncommand = \"/bin/a\"\ncpu_max = 50\n").message ==
        "`cpu_max` in [program.a] must be a percentage of one CPU (\"50%\"), not an integer");
  e = OnlyError("[supervisor]\ncgroup = \"yes\"\n");
  CHECK(e.message.find("cgroup") != std::string::npos);
  CHECK(e.message.find("auto") != std::string::npos);
}

TEST_CASE("Resources: reload restarts for memory_max and cpu_max, not for the interval", "[conf][resources]") {
  const Config a = LoadOk("[program.a]\ncommand = \"/bin/a\"\n");
  const Config b = LoadOk("[program.a]\ncommand = \"/bin/a\"\nmemory_max = \"1GiB\"\n");
  const Config c = LoadOk("[program.a]\ncommand = \"/bin/a\"\nmemory_check_interval = \"1s\"\n");
  const Config d = LoadOk("[supervisor]\ncgroup = \"off\"\n[program.a]\ncommand = \"/bin/a\"\n");
  CHECK(Diff(a, b).restarted.size() == 1);
  CHECK(Diff(a, c).updated.size() == 1);
  CHECK(Diff(a, d).not_applied == std::vector<std::string>{"supervisor.cgroup"});
}
