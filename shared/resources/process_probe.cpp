#include "resources/process_probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "sup/base/parse_number.h"

namespace sup::resources {
namespace {

int OpenAt(const std::string& path, int flags) { return ::open(path.c_str(), flags | O_RDONLY | O_CLOEXEC); }

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A seq_file read (cgroup.procs) returns whole lines while they fit: one that leaves more
// room than the longest line ("4194304\n") got everything, and a second read (~1.8 us) to see
// the end is spared.
constexpr std::size_t kLongestLine = 64;

// The whole of a held file from offset 0 into `buffer`, or into `more` once it outgrows it
// (cgroup.procs grows with the members). The text; nullopt when unreadable.
std::optional<std::string_view> PreadAll(int fd, char* buffer, std::size_t size, std::string& more) {
  const ssize_t first = ::pread(fd, buffer, size, 0);
  if (first < 0) return std::nullopt;
  std::size_t used = static_cast<std::size_t>(first);
  if (used + kLongestLine < size) return std::string_view(buffer, used);
  more.assign(buffer, used);
  for (;;) {
    more.resize(used + size);
    const ssize_t n = ::pread(fd, more.data() + used, size, static_cast<off_t>(used));
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  more.resize(used);
  return std::string_view(more);
}

}  // namespace

ProcessProbe::ProcessProbe(ProbeTarget target, std::shared_ptr<FdBudget> budget, std::string proc_root)
    : target_(std::move(target)),
      budget_(std::move(budget)),
      proc_root_(std::move(proc_root)),
      procfs_(proc_root_ == "/proc"),
      ticks_per_second_(::sysconf(_SC_CLK_TCK)),
      page_size_(::sysconf(_SC_PAGESIZE)) {}

ProcessProbe::~ProcessProbe() { Close(); }

int ProcessProbe::held() const {
  std::lock_guard lock(mutex_);
  return phase_ == Phase::kHeld ? taken_ : 0;
}

void ProcessProbe::Close() {
  CloseFd(stat_fd_);
  CloseFd(fd_dir_);
  CloseFd(procs_fd_);
  CloseFd(memory_fd_);
  if (budget_ != nullptr && taken_ > 0) budget_->Give(taken_);
  taken_ = 0;
}

std::optional<ProcStat> ProcessProbe::Open() {
  const std::string dir = proc_root_ + "/" + std::to_string(target_.pid);
  stat_fd_ = OpenAt(dir + "/stat", 0);
  auto stat = ReadMain();
  // The pid names the process spawned only while supd has not reaped it: after that it may
  // be another one's. Its start time tells; else its parent (supd, for the process it
  // spawned), else its process group (a MAINPID= of the instance's group).
  const bool ours = stat && stat->pid == target_.pid &&
                    (target_.start_ticks != 0 ? stat->start_ticks == target_.start_ticks
                     : target_.parent != 0    ? stat->ppid == target_.parent
                                              : stat->pgid == target_.pgid);
  if (!ours) {
    Close();
    phase_ = Phase::kGone;
    return std::nullopt;
  }
  const bool cgroup = !target_.cgroup_dir.empty();
  const int wanted = 2 + cgroup + (cgroup && target_.cgroup_memory);
  phase_ = budget_ != nullptr && budget_->TryTake(wanted) ? Phase::kHeld : Phase::kByPath;
  // Read by path, the fd directory is stat'ed (CountFds) rather than opened, fstat'ed and
  // closed; the cgroup files are opened for this read and closed after it.
  if (phase_ == Phase::kHeld) fd_dir_ = OpenAt(dir + "/fd", O_DIRECTORY);
  if (cgroup) {
    procs_fd_ = OpenAt(target_.cgroup_dir + "/cgroup.procs", 0);
    if (target_.cgroup_memory) memory_fd_ = OpenAt(target_.cgroup_dir + "/memory.current", 0);
  }
  if (phase_ == Phase::kHeld) {
    taken_ = (stat_fd_ >= 0) + (fd_dir_ >= 0) + (procs_fd_ >= 0) + (memory_fd_ >= 0);
    budget_->Give(wanted - taken_);  // those that could not be opened
  }
  return stat;
}

std::optional<ProcStat> ProcessProbe::ReadMain() {
  if (stat_fd_ < 0) return std::nullopt;
  char line[kStatMax];
  return ParseStatRead(line, ::pread(stat_fd_, line, sizeof(line), 0));
}

void ProcessProbe::AddMembers(ProbeReading& reading, const std::optional<ProcStat>& main,
                              const ProcTable* table) const {
  const auto add = [&](const ProcStat& s) { AddProcess(reading, s, ticks_per_second_, page_size_); };
  if (main) add(*main);
  if (procs_fd_ >= 0) {
    char buffer[4096];
    std::string more;
    const auto pids = PreadAll(procs_fd_, buffer, sizeof(buffer), more);
    if (!pids) return;
    std::string_view rest = *pids;
    while (!rest.empty()) {
      const auto end = std::min(rest.find('\n'), rest.size());
      const auto pid = ParseNumber<pid_t>(rest.substr(0, end));
      rest.remove_prefix(std::min(end + 1, rest.size()));
      if (!pid || *pid == target_.pid) continue;
      if (const auto member = ReadProcStat(*pid, proc_root_)) add(*member);
    }
    if (memory_fd_ >= 0) {
      char text[32];
      const ssize_t n = ::pread(memory_fd_, text, sizeof(text), 0);
      std::string_view value(text, n > 0 ? static_cast<std::size_t>(n) : 0);
      if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
      const auto bytes = ParseNumber<std::uint64_t>(value);
      if (bytes) reading.rss_bytes = *bytes;
    }
    return;
  }
  if (table == nullptr) return;
  const auto group = table->Group(target_.pgid);
  if (!group) return;
  // The scan counted the main process already when it is in the group (the usual case).
  const bool main_in_group = main && main->pgid == target_.pgid;
  reading = main_in_group ? ProbeReading{} : reading;
  reading.cpu_s += group->cpu_s;
  reading.rss_bytes += group->rss_bytes;
  reading.threads += group->threads;
  reading.processes += group->processes;
}

int ProcessProbe::CountFds() const {
  if (fd_dir_ < 0) return ::sup::resources::CountFds(target_.pid, proc_root_);
  struct stat st {};
  if (::fstat(fd_dir_, &st) != 0) return -1;
  if (procfs_ && st.st_size > 0) return static_cast<int>(st.st_size);  // as CountFds(pid)
  return CountEntries(::openat(fd_dir_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

std::optional<ProbeReading> ProcessProbe::Read(const ProcTable* table) {
  std::lock_guard lock(mutex_);
  std::optional<ProcStat> main;
  switch (phase_) {
    case Phase::kGone: return std::nullopt;
    case Phase::kNew:
    case Phase::kByPath:
      main = Open();
      if (phase_ == Phase::kGone) return std::nullopt;
      break;
    case Phase::kHeld: main = ReadMain(); break;
  }
  ProbeReading reading;
  AddMembers(reading, main, table);
  // A zombie main process has no descriptors left to count, and a gone one reads ESRCH.
  if (main && main->state != 'Z' && main->state != 'X') reading.fds = CountFds();
  if (phase_ == Phase::kByPath) Close();
  if (reading.processes == 0) return std::nullopt;
  return reading;
}

}  // namespace sup::resources
