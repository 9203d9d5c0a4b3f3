#include "resources/instance_usage.h"

#include <charconv>

#include "resources/cgroup_files.h"

namespace sup::daemon::resources {
namespace {

// memory.current of a cgroup with the memory controller; nullopt without it.
std::optional<std::uint64_t> CgroupMemory(const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  const auto text = ::sup::resources::ReadSmallFile(dir + "/memory.current", 64);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

double CpuPercent(CpuBaseline& baseline, pid_t pgid, double cpu_s, TimePoint now, TimePoint spawned) {
  const bool same = baseline.pgid == pgid && baseline.at > spawned;
  const double used = same ? cpu_s - baseline.cpu_s : cpu_s;
  const double wall = std::chrono::duration<double>(now - (same ? baseline.at : spawned)).count();
  baseline = {pgid, cpu_s, now};
  if (wall <= 0 || used < 0) return 0;
  return used / wall * 100;
}

std::optional<InstanceUsage> UsageReader::Read(const UsageTarget& target) {
  if (target.pgid <= 0) return std::nullopt;
  if (!table_) table_ = ::sup::resources::ProcTable::Scan(proc_root_);
  const auto group = table_->Group(target.pgid);
  if (!group) return std::nullopt;
  InstanceUsage usage;
  usage.cpu_s = group->cpu_s;
  usage.rss_bytes = CgroupMemory(target.cgroup_dir).value_or(group->rss_bytes);
  usage.threads = group->threads;
  usage.fds = ::sup::resources::CountFds(target.main_pid > 0 ? target.main_pid : target.pgid, proc_root_);
  return usage;
}

std::optional<std::uint64_t> ReadMemory(const UsageTarget& target) {
  if (const auto current = CgroupMemory(target.cgroup_dir)) return current;
  if (target.pgid <= 0) return std::nullopt;
  // One /proc pass, as a status reply makes: every memory_check_interval, per program that sets it.
  const auto table = ::sup::resources::ProcTable::Scan();
  const auto group = table.Group(target.pgid);
  if (!group) return std::nullopt;
  return group->rss_bytes;
}

}  // namespace sup::daemon::resources
