#include "resources/proc_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "sup/base/parse_number.h"

namespace sup::resources {
namespace {

// Reads what `fd` holds (at most `max` bytes) and closes it. The text grows with what is read:
// a buffer of `max` bytes zeroed up front (1 MiB for mountinfo) stayed resident in supd's heap
// for its whole life, and every page of it was one more for the kernel to free at exit (PID 1's
// SIGTERM -> exit, BENCHMARKS.md pid1).
std::optional<std::string> ReadAndClose(int fd, std::size_t max) {
  if (fd < 0) return std::nullopt;
  std::string text;
  char chunk[4096];
  while (text.size() < max) {
    const ssize_t n = ::read(fd, chunk, std::min(sizeof(chunk), max - text.size()));
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view line) {
  const auto open = line.find(" (");
  const auto close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat s;
  const auto pid = ParseNumber<pid_t>(line.substr(0, open));
  if (!pid) return std::nullopt;
  s.pid = *pid;
  std::string_view rest = line.substr(close + 1);
  std::optional<std::uint64_t> utime, stime, rss;
  std::optional<int> threads;
  std::optional<pid_t> pgid, ppid;
  std::optional<std::uint64_t> started;
  for (int field = 3; field <= 24; ++field) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find_first_of(" \n"), rest.size());
    const std::string_view text = rest.substr(0, end);
    switch (field) {
      case 3: s.state = text.size() == 1 ? text[0] : '?'; break;
      case 4: ppid = ParseNumber<pid_t>(text); break;
      case 5: pgid = ParseNumber<pid_t>(text); break;
      case 14: utime = ParseNumber<std::uint64_t>(text); break;
      case 15: stime = ParseNumber<std::uint64_t>(text); break;
      case 20: threads = ParseNumber<int>(text); break;
      case 22: started = ParseNumber<std::uint64_t>(text); break;
      case 24: rss = ParseNumber<std::uint64_t>(text); break;
      default: break;
    }
    rest.remove_prefix(end);
  }
  if (!ppid || !pgid || !utime || !stime || !threads || !started || !rss) return std::nullopt;
  s.ppid = *ppid;
  s.pgid = *pgid;
  s.start_ticks = *started;
  s.cpu_ticks = *utime + *stime;
  s.threads = *threads;
  s.rss_pages = *rss;
  return s;
}

void AddProcess(Usage& usage, const ProcStat& stat, long ticks_per_second, long page_size) {
  if (stat.state == 'Z' || stat.state == 'X') return;
  usage.cpu_s += static_cast<double>(stat.cpu_ticks) / static_cast<double>(ticks_per_second);
  usage.rss_bytes += stat.rss_pages * static_cast<std::uint64_t>(page_size);
  usage.threads += stat.threads;
  ++usage.processes;
}

ProcTable ProcTable::Scan(const std::string& proc_root) {
  ProcTable table;
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return table;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const int root_fd = ::dirfd(dir);
  char path[64];
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const std::size_t len = std::min(std::string_view(e->d_name).size(), sizeof(path) - 6);
    std::copy_n(e->d_name, len, path);
    std::copy_n("/stat", 6, path + len);
    // One read into the stack: procfs hands the whole line to the first read that can hold
    // it, and reading on to EOF would cost a fourth system call per process.
    const int fd = ::openat(root_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // gone since readdir
    char line[kStatMax];
    const ssize_t n = ::read(fd, line, sizeof(line));
    ::close(fd);
    const auto stat = ParseStatRead(line, n);
    if (!stat) continue;
    AddProcess(table.groups_[stat->pgid], *stat, ticks, page);
  }
  ::closedir(dir);
  return table;
}

std::optional<Usage> ProcTable::Group(pid_t pgid) const {
  const auto it = groups_.find(pgid);
  if (it == groups_.end() || it->second.processes == 0) return std::nullopt;
  return it->second;
}

std::optional<ProcStat> ParseStatRead(const char* buffer, ssize_t n) {
  if (n <= 0) return std::nullopt;
  return ParseProcStat(std::string_view(buffer, static_cast<std::size_t>(n)));
}

std::optional<ProcStat> ReadProcStat(pid_t pid, const std::string& proc_root) {
  const std::string path = proc_root + "/" + std::to_string(pid) + "/stat";
  const auto text = ReadAndClose(::open(path.c_str(), O_RDONLY | O_CLOEXEC), kStatMax);
  return text ? ParseProcStat(*text) : std::nullopt;
}

int CountEntries(int fd) {
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (dir == nullptr) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  int count = 0;
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.') ++count;
  ::closedir(dir);
  return count;
}

int CountFds(pid_t pid, const std::string& proc_root) {
  const std::string path = proc_root + "/" + std::to_string(pid) + "/fd";
  // procfs of Linux >= 6.2 gives the number of open descriptors as the directory's size: one
  // stat instead of open, getdents and close (a fifth of the cost). 0 on older kernels: then
  // they are counted, as in a fixture tree (whose directory sizes mean something else).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  if (proc_root == "/proc" && st.st_size > 0) return static_cast<int>(st.st_size);
  return CountEntries(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

std::optional<std::string> ReadSmallFile(const std::string& path, std::size_t max) {
  return ReadAndClose(::open(path.c_str(), O_RDONLY | O_CLOEXEC), max);
}

}  // namespace sup::resources
