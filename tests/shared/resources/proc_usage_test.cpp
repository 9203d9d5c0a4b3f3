// The /proc readers on fixture trees: a stat line's fields (a comm with spaces and ')'), the
// per-group sums (zombies count nothing), and descriptor counts.
#include "resources/proc_usage.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "proc_fixture.h"

namespace fs = std::filesystem;
using sup::resources::CountFds;
using sup::resources::ParseProcStat;
using sup::resources::ProcTable;

using sup::resources::testing::FixtureProc;
using sup::resources::testing::StatLine;

TEST_CASE("ParseProcStat reads state, group, CPU ticks, threads and RSS") {
  const auto s = ParseProcStat(StatLine(42, "my prog) (x", 'S', 40, 150, 50, 3, 2560));
  REQUIRE(s);
  CHECK(s->pid == 42);
  CHECK(s->state == 'S');
  CHECK(s->pgid == 40);
  CHECK(s->cpu_ticks == 200);
  CHECK(s->threads == 3);
  CHECK(s->rss_pages == 2560);
  CHECK(s->ppid == 1);
  CHECK(s->start_ticks == 12345);
}

TEST_CASE("ParseProcStat refuses malformed lines") {
  CHECK_FALSE(ParseProcStat(""));
  CHECK_FALSE(ParseProcStat("42 (x) S 1 2 3"));
  CHECK_FALSE(ParseProcStat("x (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"));
  CHECK_FALSE(ParseProcStat("42 sh S 1 2"));
}

TEST_CASE("ProcTable sums every live process of a group, in one pass") {
  FixtureProc proc;
  const long tick = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  proc.Add(100, StatLine(100, "main", 'S', 100, 2 * tick, tick, 2, 1000), 5);
  proc.Add(101, StatLine(101, "child", 'R', 100, tick, 0, 1, 500));
  proc.Add(102, StatLine(102, "zombie", 'Z', 100, 7 * tick, 0, 1, 0));
  proc.Add(200, StatLine(200, "other", 'S', 200, tick, tick, 4, 10));
  std::ofstream(proc.root / "self");  // not a pid: skipped
  fs::create_directories(proc.root / "300");  // gone between readdir and open: skipped

  const ProcTable table = ProcTable::Scan(proc.root.string());
  const auto group = table.Group(100);
  REQUIRE(group);
  CHECK(group->processes == 2);
  CHECK(group->cpu_s == 4.0);
  CHECK(group->rss_bytes == 1500u * static_cast<std::uint64_t>(page));
  CHECK(group->threads == 3);
  REQUIRE(table.Group(200));
  CHECK(table.Group(200)->threads == 4);
  CHECK_FALSE(table.Group(300));
  CHECK(CountFds(100, proc.root.string()) == 5);
  CHECK(CountFds(999, proc.root.string()) == -1);
}

TEST_CASE("ProcTable reads the real /proc: this test's own group is there") {
  const ProcTable table = ProcTable::Scan();
  const auto self = table.Group(getpgrp());
  REQUIRE(self);
  CHECK(self->rss_bytes > 0);
  CHECK(self->threads >= 1);
  CHECK(CountFds(getpid()) >= 3);
}

TEST_CASE("ReadSmallFile reads a file of several chunks whole, up to its bound") {
  const FixtureProc dir("read");  // a temporary directory
  const fs::path path = dir.root / "big";
  std::string content;
  for (int i = 0; content.size() < 10000; ++i) content += std::to_string(i) + "\n";
  std::ofstream(path) << content;
  CHECK(sup::resources::ReadSmallFile(path.string(), 1 << 20) == content);
  CHECK(sup::resources::ReadSmallFile(path.string(), 5000) == content.substr(0, 5000));
  CHECK_FALSE(sup::resources::ReadSmallFile((dir.root / "missing").string()));
}

TEST_CASE("ReadSmallFile holds what it read, not its bound") {
  // supd reads /proc/self/mountinfo with a 1 MiB bound: a buffer of the bound's size stayed in
  // its heap for good (1 MiB of its ~4 MiB RSS, freed page by page at PID 1's exit).
  const auto text = sup::resources::ReadSmallFile("/proc/self/cgroup", 1 << 20);
  REQUIRE(text);
  CHECK_FALSE(text->empty());
  CHECK(text->capacity() < 64 * 1024);
}
