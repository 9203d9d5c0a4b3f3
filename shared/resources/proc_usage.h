// What the processes of an instance use, read from /proc (SPEC §9.2): CPU seconds, resident
// memory and threads summed over a process group, open descriptors of one process. Without a
// cgroup the members of a process group can only be found by one pass over every process of
// the host (ProcTable::Scan), shared by every instance of a reply; with one, ProcessProbe
// (process_probe.h) reads only the instance's own processes. Read when a reader asks: nothing
// here runs on a timer, and supd runs it on libuv's thread pool, never on its loop. The
// parsers are pure (tests feed them fixture trees).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sup::resources {

// The fields of a /proc/<pid>/stat line accounting needs.
struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t ppid = 0;               // field 4
  pid_t pgid = 0;
  std::uint64_t cpu_ticks = 0;  // utime + stime (fields 14, 15), in clock ticks
  int threads = 0;              // field 20
  std::uint64_t start_ticks = 0;  // field 22: when it started, in ticks after boot
  std::uint64_t rss_pages = 0;  // field 24
};

// nullopt when the line is malformed. The command name (field 2) may hold spaces and ')'.
std::optional<ProcStat> ParseProcStat(std::string_view line);

// The sum over a set of processes. fds is the main process's, -1 when not read.
struct Usage {
  double cpu_s = 0;
  std::uint64_t rss_bytes = 0;
  int threads = 0;
  int processes = 0;
  int fds = -1;
};

// Adds one process to `usage`; zombies count nothing (their memory is gone, their CPU time
// went to whoever reaps them).
void AddProcess(Usage& usage, const ProcStat& stat, long ticks_per_second, long page_size);

// Every live process under a /proc tree, summed per process group.
class ProcTable {
 public:
  // One pass over `proc_root` ("/proc"; a fixture directory in tests).
  static ProcTable Scan(const std::string& proc_root = "/proc");

  // The group's sum; nullopt when no process of it was seen.
  std::optional<Usage> Group(pid_t pgid) const;
  std::size_t groups() const { return groups_.size(); }

 private:
  std::unordered_map<pid_t, Usage> groups_;
};

// The stat of one process; nullopt when it is gone.
std::optional<ProcStat> ReadProcStat(pid_t pid, const std::string& proc_root = "/proc");

// Open descriptors of `pid` (entries of <proc_root>/<pid>/fd); -1 when unreadable.
int CountFds(pid_t pid, const std::string& proc_root = "/proc");
// The entries of the directory open as `fd` but "." and "..", then closes it; -1 when fd < 0
// or unreadable (where an fd directory's size is not its count: kernels before 6.2, fixtures).
int CountEntries(int fd);

// Parses a stat line read into `buffer` by a pread/read that returned `n`; nullopt when n <= 0.
std::optional<ProcStat> ParseStatRead(const char* buffer, ssize_t n);

// A stat line is ~300 bytes; comm is at most 16.
inline constexpr std::size_t kStatMax = 1024;

// The first `max` bytes of a small file (a /proc or cgroup file); nullopt when unreadable.
std::optional<std::string> ReadSmallFile(const std::string& path, std::size_t max = 4096);

}  // namespace sup::resources
