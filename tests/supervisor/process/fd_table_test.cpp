// ReserveFdTable grows supd's descriptor table without holding or disturbing descriptors;
// FdsFor counts what a config's instances will need. Read back from /proc/self.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "process/fd_table.h"

namespace sup::daemon {
namespace {

// The size of this process's fd table (/proc/self/status "FDSize:").
std::size_t TableSize() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("FDSize:", 0) == 0) return std::stoul(line.substr(7));
  }
  return 0;
}

std::size_t OpenFdCount() {
  std::size_t count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count;
}

conf::ProgramSpec Program(const std::string& name, int instances) {
  conf::ProgramSpec spec;
  spec.name = name;
  spec.command = {"true"};
  spec.instances = instances;
  return spec;
}

TEST_CASE("ReserveFdTable: the table grows to the size asked, and no descriptor stays open",
          "[process][fd_table]") {
  const std::size_t wanted = TableSize() + 100;  // the table never shrinks: grow it a little
  const std::size_t open_before = OpenFdCount();
  ReserveFdTable(wanted);
  CHECK(TableSize() >= wanted);
  CHECK(OpenFdCount() == open_before);
}

TEST_CASE("ReserveFdTable: a descriptor already open where it reaches is left alone",
          "[process][fd_table]") {
  const std::size_t wanted = TableSize() + 100;  // the table never shrinks: grow it a little
  int pipe_fds[2];
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  const int at_top = static_cast<int>(wanted) - 1;
  REQUIRE(dup2(pipe_fds[0], at_top) == at_top);
  struct stat before {};
  REQUIRE(fstat(at_top, &before) == 0);

  ReserveFdTable(wanted);
  struct stat after {};
  REQUIRE(fstat(at_top, &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(TableSize() >= wanted);
  for (int fd : {at_top, pipe_fds[0], pipe_fds[1]}) close(fd);
}

TEST_CASE("ReserveFdTable: as far as the soft RLIMIT_NOFILE and no further", "[process][fd_table]") {
  // In a child: fork gives it a table only as large as its open fds need, which this
  // process's earlier reservations no longer have; and its limit may be lowered freely.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit low{};
    getrlimit(RLIMIT_NOFILE, &low);
    low.rlim_cur = 1000;
    if (TableSize() >= low.rlim_cur || setrlimit(RLIMIT_NOFILE, &low) != 0) _exit(2);
    const std::size_t open_before = OpenFdCount();
    ReserveFdTable(100000);
    const std::size_t size = TableSize();
    _exit(size >= 1000 && size < 2000 && OpenFdCount() == open_before ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("RaiseOwnFdLimit: the soft limit becomes the hard one", "[process][fd_table]") {
  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  rlimit low = original;
  low.rlim_cur = std::min<rlim_t>(original.rlim_max, 256);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  RaiseOwnFdLimit();
  rlimit raised{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &raised) == 0);
  CHECK(raised.rlim_cur == original.rlim_max);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &original) == 0);
}

TEST_CASE("FdsFor: each instance counts, with room for its two pipes and counter page",
          "[process][fd_table]") {
  const conf::Config empty;
  conf::Config one_program;
  one_program.programs.push_back(Program("web", 4));
  conf::Config four_programs;
  for (const char* name : {"a", "b", "c", "d"}) four_programs.programs.push_back(Program(name, 1));

  CHECK(FdsFor(empty) >= 3);
  CHECK(FdsFor(one_program) >= FdsFor(empty) + 4 * 3);
  CHECK(FdsFor(four_programs) == FdsFor(one_program));
}

}  // namespace
}  // namespace sup::daemon
