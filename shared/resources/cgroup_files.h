// The text of cgroup v2 files and of the /proc files that say where supd's cgroup is (SPEC
// §9.2 "cgroup v2 containment"). Pure parsers: supervisor/resources/cgroup_tree does the I/O,
// the unit tests feed them fixture texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sup::resources {

// The path of the `0::` line of /proc/self/cgroup ("/system.slice/x.service"); nullopt when
// the process is in no cgroup v2 hierarchy.
std::optional<std::string> ParseV2CgroupPath(std::string_view proc_self_cgroup);

// One cgroup2 line of /proc/self/mountinfo.
struct Cgroup2Mount {
  std::string root;         // the mount's root inside the hierarchy ("/" unless a bind mount)
  std::string mount_point;  // "/sys/fs/cgroup" or "/sys/fs/cgroup/unified"
  bool read_only = false;
};
std::vector<Cgroup2Mount> ParseCgroup2Mounts(std::string_view mountinfo);

// The directory of the cgroup at `path` (as /proc/self/cgroup names it) under the first mount
// whose root contains it; nullopt when none does.
std::optional<std::string> CgroupDirectory(const std::string& path, const std::vector<Cgroup2Mount>& mounts);

// The words of cgroup.controllers / cgroup.subtree_control.
std::vector<std::string> ParseWords(std::string_view text);

// A `key value` line of a flat-keyed file (cpu.stat's usage_usec, memory.events' oom_kill).
std::optional<std::uint64_t> ParseKeyedValue(std::string_view text, std::string_view key);

// cpu.max's text for a share of one CPU in percent: 50 -> "50000 100000".
std::string CpuMaxText(int percent);

}  // namespace sup::resources
