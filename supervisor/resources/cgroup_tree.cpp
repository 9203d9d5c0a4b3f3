#include "resources/cgroup_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "resources/cgroup_files.h"
#include "resources/proc_usage.h"

namespace sup::daemon::resources {
namespace {

using ::sup::resources::ReadSmallFile;

bool WriteFile(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

bool Has(const std::vector<std::string>& words, const char* word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// mkdir that accepts an existing directory.
bool MakeDir(const std::string& path) { return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

// The base directory, made and flock'd; empty fd when it cannot be made or is held.
UniqueFd LockedDir(const std::string& path) {
  if (!MakeDir(path)) return UniqueFd();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return UniqueFd();
  return fd;
}

// Turns `controller` on for the children of `dir`; a cgroup holding processes may not hand
// controllers down (EBUSY), so supd first moves itself into the leaf `dir/supd`.
bool Enable(const std::string& dir, const char* controller, bool may_move_supd) {
  const std::string text = std::string("+") + controller;
  if (WriteFile(dir + "/cgroup.subtree_control", text)) return true;
  if (errno != EBUSY || !may_move_supd) return false;
  if (!MakeDir(dir + "/supd") || !WriteFile(dir + "/supd/cgroup.procs", "0")) return false;
  return WriteFile(dir + "/cgroup.subtree_control", text);
}

// Removes the child cgroups of `dir` that hold no process (rmdir refuses the others).
void RemoveEmptyChildren(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d))
    if (e->d_type == DT_DIR && e->d_name[0] != '.') ::rmdir((dir + "/" + e->d_name).c_str());
  ::closedir(d);
}

// A supd that ended without its teardown (SIGKILL, or PID 1's _exit where the namespace does
// not end with it) left its instances' cgroups behind: the empty ones go, and so does the
// `sup.<pid>` of a supd that no longer holds its lock.
void RemoveStale(const std::string& parent, const std::string& base) {
  RemoveEmptyChildren(base);
  DIR* d = ::opendir(parent.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (e->d_type != DT_DIR || !name.starts_with("sup.") || parent + "/" + name == base) continue;
    const std::string path = parent + "/" + name;
    UniqueFd held(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!held || ::flock(held.get(), LOCK_EX | LOCK_NB) != 0) continue;  // its supd lives
    RemoveEmptyChildren(path);
    ::rmdir(path.c_str());
  }
  ::closedir(d);
}

}  // namespace

InstanceCgroup::InstanceCgroup(std::string dir, bool memory) : dir_(std::move(dir)), memory_(memory) {}

Result<UniqueFd> InstanceCgroup::OpenProcs() const {
  UniqueFd procs(::open((dir_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  if (!procs) return Fail(SystemError("open " + dir_ + "/cgroup.procs", errno));
  return procs;
}

InstanceCgroup::~InstanceCgroup() {
  ::rmdir(dir_.c_str());  // EBUSY when something still lives there: left for the operator
}

bool InstanceCgroup::Populated() const {
  const auto events = ReadSmallFile(dir_ + "/cgroup.events", 256);
  return events && ::sup::resources::ParseKeyedValue(*events, "populated").value_or(0) != 0;
}

void InstanceCgroup::Signal(int signal, pid_t signalled_group) const {
  if (signal == SIGKILL && WriteFile(dir_ + "/cgroup.kill", "1")) return;
  const auto procs = ReadSmallFile(dir_ + "/cgroup.procs", 1 << 20);
  if (!procs) return;
  for (const auto& word : ::sup::resources::ParseWords(*procs)) {
    pid_t pid = 0;
    const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), pid);
    if (ec == std::errc() && pid > 0 && ::getpgid(pid) != signalled_group) ::kill(pid, signal);
  }
}

std::uint64_t InstanceCgroup::OomKills() const {
  if (!memory_) return 0;
  const auto events = ReadSmallFile(dir_ + "/memory.events", 512);
  return events ? ::sup::resources::ParseKeyedValue(*events, "oom_kill").value_or(0) : 0;
}

std::unique_ptr<CgroupTree> CgroupTree::Detect(conf::CgroupMode mode, std::string& log_line) {
  log_line = "cgroup: none (process groups)";
  if (mode == conf::CgroupMode::kOff) return nullptr;
  const auto self = ReadSmallFile("/proc/self/cgroup", 1 << 16);
  const auto path = self ? ::sup::resources::ParseV2CgroupPath(*self) : std::nullopt;
  const auto mountinfo = ReadSmallFile("/proc/self/mountinfo", 1 << 20);
  auto mounts = mountinfo ? ::sup::resources::ParseCgroup2Mounts(*mountinfo)
                          : std::vector<::sup::resources::Cgroup2Mount>{};
  std::erase_if(mounts, [](const auto& m) { return m.read_only; });
  const auto dir = path ? ::sup::resources::CgroupDirectory(*path, mounts) : std::nullopt;
  if (!dir) {
    log_line += ": no writable cgroup v2 hierarchy holds supd";
    return nullptr;
  }
  std::string base = *dir + "/sup";
  UniqueFd lock = LockedDir(base);
  if (!lock && errno == EWOULDBLOCK) {  // another supd in this cgroup holds `sup`
    base = *dir + "/sup." + std::to_string(::getpid());
    lock = LockedDir(base);
  }
  if (!lock) {
    log_line += ": cannot make " + base + ": " + std::strerror(errno);
    return nullptr;
  }
  RemoveStale(*dir, base);
  const auto offered = ::sup::resources::ParseWords(ReadSmallFile(*dir + "/cgroup.controllers").value_or(""));
  bool on[2] = {false, false};
  const char* names[2] = {"memory", "cpu"};
  for (int i = 0; i < 2; ++i) {
    on[i] = Has(offered, names[i]) && Enable(*dir, names[i], true) && Enable(base, names[i], false);
  }
  log_line = "cgroup: " + base;
  if (on[0] || on[1])
    log_line += std::string(" (") + (on[0] ? "memory" : "") + (on[0] && on[1] ? ", " : "") + (on[1] ? "cpu" : "") + ")";
  else
    log_line += " (no controllers: accounting from /proc, memory_max sampled)";
  return std::unique_ptr<CgroupTree>(new CgroupTree(std::move(base), std::move(lock), on[0], on[1]));
}

CgroupTree::~CgroupTree() { ::rmdir(base_.c_str()); }

Result<std::unique_ptr<InstanceCgroup>> CgroupTree::Make(const std::string& name,
                                                          const conf::ProgramSpec& spec) const {
  const std::string dir = base_ + "/" + name;
  if (!MakeDir(dir)) return Fail(SystemError("mkdir " + dir, errno));
  if (memory_ && spec.memory_max > 0 && !WriteFile(dir + "/memory.max", std::to_string(spec.memory_max)))
    return Fail(SystemError("write " + dir + "/memory.max", errno));
  if (cpu_ && spec.cpu_max > 0 && !WriteFile(dir + "/cpu.max", ::sup::resources::CpuMaxText(spec.cpu_max)))
    return Fail(SystemError("write " + dir + "/cpu.max", errno));
  return std::make_unique<InstanceCgroup>(dir, memory_ && spec.memory_max > 0);
}

}  // namespace sup::daemon::resources
