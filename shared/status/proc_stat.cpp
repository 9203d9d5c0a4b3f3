#include "status/proc_stat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "sup/base/parse_number.h"

namespace sup::daemon {

namespace {

// Field `want` (>= 3) of a stat line, as text; empty when the line is malformed. The command
// name (field 2) may hold spaces and ')': fields are counted after its last ')'.
std::string_view Field(std::string_view line, int want) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return {};
  std::string_view rest = line.substr(close + 1);
  for (int field = 3;; ++field) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) return {};
    rest.remove_prefix(start);
    const auto end = std::min(rest.find_first_of(" \n"), rest.size());
    if (field == want) return rest.substr(0, end);
    rest.remove_prefix(end);
  }
}

// The stat line of `pid` ("" when it is gone).
std::string StatLine(const std::string& pid) {
  const std::string path = "/proc/" + pid + "/stat";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[1024];  // comm is at most 16 bytes: the whole line fits
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

std::optional<std::uint64_t> ParseStartTicks(std::string_view line) {
  return ParseNumber<std::uint64_t>(Field(line, 22));
}

std::optional<std::uint64_t> ProcStartTicks(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  return ParseStartTicks(StatLine(std::to_string(pid)));
}

bool GroupHasLiveMember(pid_t pgid) {
  if (pgid <= 0 || kill(-pgid, 0) != 0) return false;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return true;  // cannot tell: it exists
  bool live = false;
  while (!live) {
    const dirent* e = readdir(proc);
    if (e == nullptr) break;
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const std::string line = StatLine(e->d_name);
    live = ParseNumber<pid_t>(Field(line, 5)) == pgid && Field(line, 3) != "Z";
  }
  closedir(proc);
  return live;
}

bool ProcessGone(pid_t pid, std::uint64_t start_ticks) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) return true;  // EPERM: it exists
  if (start_ticks == 0) return false;
  const auto now = ProcStartTicks(pid);
  return !now || *now != start_ticks;
}

}  // namespace sup::daemon
