// A fixture /proc tree (and stat lines as Linux writes them) for the /proc readers' tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sup::resources::testing {

namespace fs = std::filesystem;

// pid (comm) state ppid pgrp session ... utime(14) stime(15) ... num_threads(20) ...
// starttime(22) ... rss(24) ...
inline std::string StatLine(int pid, const std::string& comm, char state, int pgid, int utime, int stime,
                            int threads, int rss, int ppid = 1, unsigned long start = 12345) {
  return std::to_string(pid) + " (" + comm + ") " + state + " " + std::to_string(ppid) + " " +
         std::to_string(pgid) + " " + std::to_string(pgid) + " 0 -1 4194560 100 0 0 0 " +
         std::to_string(utime) + " " + std::to_string(stime) + " 0 0 20 0 " + std::to_string(threads) +
         " 0 " + std::to_string(start) + " 10000000 " + std::to_string(rss) +
         " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

struct FixtureProc {
  fs::path root;
  explicit FixtureProc(const std::string& tag = "proc")
      : root(fs::temp_directory_path() / ("sup-" + tag + "-fixture-" + std::to_string(getpid()))) {
    fs::create_directories(root);
  }
  ~FixtureProc() { fs::remove_all(root); }
  void Add(int pid, const std::string& stat, int fds = 0) {
    fs::create_directories(root / std::to_string(pid) / "fd");
    std::ofstream(root / std::to_string(pid) / "stat") << stat;
    for (int fd = 0; fd < fds; ++fd) std::ofstream(root / std::to_string(pid) / "fd" / std::to_string(fd));
  }
};

}  // namespace sup::resources::testing
