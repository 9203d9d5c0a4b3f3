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

// Paths are relative to `at` where given: an instance's files are opened from the base
// directory's descriptor, which spares each open most of its path walk.
bool WriteFile(const std::string& path, std::string_view text, int at = AT_FDCWD) {
  const int fd = ::openat(at, path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

bool Has(const std::vector<std::string>& words, const char* word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Up to `size` bytes from the start of `path` (one read: a cgroup file's text is made whole
// at open, and these are far shorter than `size`); -1 when it cannot be read.
ssize_t ReadPrefix(int at, const std::string& path, char* text, std::size_t size) {
  const int fd = ::openat(at, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t n = ::read(fd, text, size);
  ::close(fd);
  return n;
}

// Calls `each` with every pid listed in the cgroup.procs at `path`, read in small steps: it
// lists one or two pids for most instances, and a buffer sized for the largest possible list
// (1 MiB, mapped and zeroed per call) cost 0.7 ms per signalled instance: 70 ms of a stop of
// 100 programs.
template <class F>
void ForEachMember(int at, const std::string& path, F each) {
  const int fd = ::openat(at, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char chunk[512];
  pid_t pid = 0;  // the digits read so far (a number may straddle two reads)
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) {
    for (ssize_t i = 0; i < n; ++i) {
      if (chunk[i] >= '0' && chunk[i] <= '9') {
        pid = pid * 10 + (chunk[i] - '0');
      } else {
        if (pid > 0) each(pid);
        pid = 0;
      }
    }
  }
  if (pid > 0) each(pid);
  ::close(fd);
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

InstanceCgroup::InstanceCgroup(int base_fd, const std::string& base, std::string name, bool memory, bool cpu,
                               bool fresh)
    : base_fd_(base_fd), name_(std::move(name)), dir_(base + "/" + name_), tree_memory_(memory), tree_cpu_(cpu) {
  if (!fresh) return;
  memory_max_ = 0;  // "max": what a new cgroup starts with
  cpu_max_ = 0;
}

InstanceCgroup::~InstanceCgroup() {
  ::unlinkat(base_fd_, name_.c_str(), AT_REMOVEDIR);  // EBUSY when something still lives there: left for the operator
}

Result<void> InstanceCgroup::ApplyLimits(const conf::ProgramSpec& spec) {
  // Each limit is written only when it changed; one taken off (0) is written back as "max"
  // (unlimited), what a new cgroup starts with.
  const auto apply = [&](bool controller, const char* file, auto& written, auto wanted, const std::string& text) {
    if (!controller || written == wanted) return true;
    if (!WriteFile(name_ + "/" + file, wanted > 0 ? text : "max", base_fd_)) return false;
    written = wanted;
    return true;
  };
  if (!apply(tree_memory_, "memory.max", memory_max_, spec.memory_max, std::to_string(spec.memory_max)))
    return Fail(SystemError("write " + dir_ + "/memory.max", errno));
  if (!apply(tree_cpu_, "cpu.max", cpu_max_, spec.cpu_max, ::sup::resources::CpuMaxText(spec.cpu_max)))
    return Fail(SystemError("write " + dir_ + "/cpu.max", errno));
  return {};
}

Result<UniqueFd> InstanceCgroup::OpenDir() const {
  UniqueFd dir(::openat(base_fd_, name_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Fail(SystemError("open " + dir_, errno));
  return dir;
}

bool InstanceCgroup::Populated() const {
  // Read at every reap of a kill_group program: one read into the stack, no allocation.
  char text[128];
  const ssize_t n = ReadPrefix(base_fd_, name_ + "/cgroup.events", text, sizeof text);
  return n > 0 && ::sup::resources::ParseKeyedValue(std::string_view(text, static_cast<std::size_t>(n)), "populated")
                          .value_or(0) != 0;
}

void InstanceCgroup::Signal(int signal, pid_t signalled_group) const {
  if (signal == SIGKILL && WriteFile(name_ + "/cgroup.kill", "1", base_fd_)) return;
  ForEachMember(base_fd_, name_ + "/cgroup.procs", [&](pid_t pid) {
    if (::getpgid(pid) != signalled_group) ::kill(pid, signal);
  });
}

std::uint64_t InstanceCgroup::OomKills() const {
  if (!memory()) return 0;
  char text[512];
  const ssize_t n = ReadPrefix(base_fd_, name_ + "/memory.events", text, sizeof text);
  if (n <= 0) return 0;
  return ::sup::resources::ParseKeyedValue(std::string_view(text, static_cast<std::size_t>(n)), "oom_kill").value_or(0);
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
  const bool made = ::mkdirat(lock_.get(), name.c_str(), 0755) == 0;
  if (!made && errno != EEXIST) return Fail(SystemError("mkdir " + base_ + "/" + name, errno));
  auto cgroup = std::make_unique<InstanceCgroup>(lock_.get(), base_, name, memory_, cpu_, made);
  if (auto applied = cgroup->ApplyLimits(spec); !applied) return Fail(applied.error());
  return cgroup;
}

}  // namespace sup::daemon::resources
