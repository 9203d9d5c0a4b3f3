// The parent's side of Spawn: prepare every array the child needs, fork, then learn from the
// exec-status pipe whether the child exec'd. The child's side is child_plan.cpp.
#include "process/spawner.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>

#include "child/child_plan.h"
#include "child/exec_status.h"
#include "process/clone_into_cgroup.h"
#include "process/environment.h"

namespace sup::daemon {
namespace {

Result<std::pair<UniqueFd, UniqueFd>> MakePipe(const char* what) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Fail(SystemError(std::string("pipe2 ") + what, errno));
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

// A program writing fast fills a 64 KiB pipe in microseconds and then waits for supd on every
// write; 1 MiB lets it run on while supd drains in large reads. Pages are only taken as they
// fill, and a refusal (fs.pipe-max-size, the per-user pipe quota) just keeps the default.
constexpr int kOutputPipeSize = 1 << 20;

Result<std::pair<UniqueFd, UniqueFd>> MakeOutputPipe(const char* what) {
  auto pipe = MakePipe(what);
  if (pipe) fcntl(pipe->first.get(), F_SETPIPE_SZ, kOutputPipeSize);
  return pipe;
}

// Candidates for execve, as execvp would try them: argv[0] itself when it holds a '/', else
// each PATH entry joined with it ("" meaning the current directory).
std::vector<std::string> ExecCandidates(const std::string& file, const std::vector<std::string>& env) {
  if (file.find('/') != std::string::npos) return {file};
  const char* path = FindInEnvironment(env, "PATH");
  std::string search = path ? path : std::string(kDefaultPath).substr(5);
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    const std::size_t colon = search.find(':', from);
    std::string dir = search.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
    out.push_back(dir.empty() ? file : dir + "/" + file);
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  return out;
}

std::string LimitName(int resource) {
  switch (resource) {
    case RLIMIT_NOFILE: return "nofile";
    case RLIMIT_NPROC: return "nproc";
    case RLIMIT_CORE: return "core";
    default: return "resource " + std::to_string(resource);
  }
}

// The program's limit N becomes the soft limit; the hard limit rises to N only when needed
// (which needs root), so a worker may still raise its own soft limit up to supd's hard one.
void AddProgramLimit(std::vector<LimitSetting>& out, const OriginalLimits& original, int resource,
                     std::uint64_t value) {
  if (value == 0) return;
  rlimit limit{};
  limit.rlim_cur = static_cast<rlim_t>(value);
  const rlim_t hard = original.have_rlimits ? original.rlimits[resource].rlim_max : RLIM_INFINITY;
  limit.rlim_max = hard == RLIM_INFINITY ? RLIM_INFINITY : std::max(hard, limit.rlim_cur);
  out.push_back({resource, limit});
}

Error DescribeFailure(const ChildFailure& failure, const SpawnRequest& request) {
  std::string what = ChildStageName(failure.stage, request.new_session);
  switch (failure.stage) {
    case ChildStage::kStdio: what += " fd " + std::to_string(failure.detail); break;
    case ChildStage::kRlimit: what += " " + LimitName(failure.detail); break;
    case ChildStage::kSetgroups: what += " " + request.user; break;
    case ChildStage::kSetgid: what += " " + std::to_string(request.gid.value_or(0)); break;
    case ChildStage::kSetuid: what += " " + std::to_string(request.uid.value_or(0)); break;
    case ChildStage::kCredentialsKept:
      what = "setuid " + std::to_string(request.uid.value_or(0)) + " (credentials unchanged)";
      break;
    case ChildStage::kChdir: what += " " + request.directory; break;
    case ChildStage::kExec: what += " " + request.argv[0]; break;
    case ChildStage::kCgroup: what += " " + request.cgroup; break;
    case ChildStage::kSession: case ChildStage::kCloseFds: case ChildStage::kSignalMask: break;
  }
  return SystemError(std::move(what), failure.error > 0 ? failure.error : EIO);
}

void WaitForFailedChild(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// argv, envp and the execve candidates as the child will use them. The pointers refer to the
// request's strings and to this struct's own members: neither may move until the child execs.
struct ExecArrays {
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string watchdog_pid_entry;  // "WATCHDOG_PID=" + room for the digits the child writes
  std::vector<std::string> candidates;
  std::vector<const char*> exec_paths;
};

void PrepareExec(const SpawnRequest& request, ExecArrays& out) {
  for (const auto& arg : request.argv) out.argv.push_back(const_cast<char*>(arg.c_str()));
  out.argv.push_back(nullptr);
  for (const auto& entry : request.env) {
    if (request.watchdog_pid && entry.rfind("WATCHDOG_PID=", 0) == 0) continue;
    out.envp.push_back(const_cast<char*>(entry.c_str()));
  }
  if (request.watchdog_pid) {
    out.watchdog_pid_entry = "WATCHDOG_PID=" + std::string(24, '\0');
    out.envp.push_back(out.watchdog_pid_entry.data());
  }
  out.envp.push_back(nullptr);
  out.candidates = ExecCandidates(request.argv[0], request.env);
  for (const auto& c : out.candidates) out.exec_paths.push_back(c.c_str());
}

// initgroups' list, read here because NSS is not async-signal-safe: the user's groups plus
// the primary gid, or just the gid without a user name. Only root may set groups at all.
std::vector<gid_t> SupplementaryGroups(const SpawnRequest& request) {
  std::vector<gid_t> groups;
  if (request.gid) groups.push_back(*request.gid);
  if (!request.uid || request.user.empty()) return groups;
  const gid_t base = request.gid.value_or(getegid());
  int count = 32;
  for (;;) {
    groups.assign(static_cast<std::size_t>(count), 0);
    if (getgrouplist(request.user.c_str(), base, groups.data(), &count) >= 0) break;
    if (count <= static_cast<int>(groups.size())) count = static_cast<int>(groups.size()) * 2;
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

// The child's descriptors: its ends of the output pipes and where every source goes.
struct ChildFds {
  UniqueFd stdout_read, stdout_write, stderr_read, stderr_write;
  UniqueFd dev_null;  // only when Spawner's own could not be opened
  std::vector<FdMove> moves;
  int highest_target = 2;
};

Result<void> PrepareFds(const SpawnRequest& request, int dev_null, ChildFds& out) {
  if (request.capture_output) {
    int stdin_source = request.stdin_fd;
    if (stdin_source < 0 && dev_null >= 0) stdin_source = dev_null;
    if (stdin_source < 0) {
      out.dev_null.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!out.dev_null) return Fail(SystemError("open /dev/null", errno));
      stdin_source = out.dev_null.get();
    }
    auto stdout_pipe = MakeOutputPipe("stdout");
    if (!stdout_pipe) return Fail(stdout_pipe.error());
    std::tie(out.stdout_read, out.stdout_write) = std::move(*stdout_pipe);
    if (!request.merge_stderr) {
      auto stderr_pipe = MakeOutputPipe("stderr");
      if (!stderr_pipe) return Fail(stderr_pipe.error());
      std::tie(out.stderr_read, out.stderr_write) = std::move(*stderr_pipe);
    }
    out.moves.push_back({stdin_source, 0});
    out.moves.push_back({out.stdout_write.get(), 1});
    out.moves.push_back({request.merge_stderr ? out.stdout_write.get() : out.stderr_write.get(), 2});
  } else if (request.stdin_fd >= 0) {
    out.moves.push_back({request.stdin_fd, 0});
  }
  std::set<int> targets{0, 1, 2};
  for (const auto& [from, to] : request.pass_fds) {
    if (from < 0 || to < 0 || !targets.insert(to).second) {
      return Fail(Error{ErrorCode::kInvalidConfig, 0,
                        "pass_fds: bad or duplicate target fd " + std::to_string(to)});
    }
    out.moves.push_back({from, to});
    out.highest_target = std::max(out.highest_target, to);
  }
  return {};
}

// Sources parked on Spawner's low slots for the length of one clone, so that the child needs
// only supd's fds below copy_below (see UnshareFds in child_plan.cpp). Without it each child
// copied and then closed every fd of supd, 3 per program: at 1000 programs that was most of
// the time a spawn took. Release points the slots back at /dev/null: a slot must not keep a
// pipe's write end open.
class ParkedFds {
 public:
  ParkedFds(const std::array<UniqueFd, Spawner::kFdSlots>& slots, int copy_below, int dev_null)
      : slots_(slots), copy_below_(copy_below), dev_null_(dev_null) {}
  ParkedFds(const ParkedFds&) = delete;
  ParkedFds& operator=(const ParkedFds&) = delete;
  ~ParkedFds() { Release(); }

  // Replaces `fd` by a slot holding the same file when it is not below copy_below already;
  // false when the slots are used up (or there are none): the child must then copy all.
  bool Park(int& fd) {
    if (fd < copy_below_) return true;
    if (copy_below_ < 0 || used_ == slots_.size()) return false;
    const int slot = slots_[used_].get();
    if (dup3(fd, slot, O_CLOEXEC) < 0) return false;
    ++used_;
    fd = slot;
    return true;
  }

  void Release() {
    for (; used_ > 0; --used_) dup3(dev_null_, slots_[used_ - 1].get(), O_CLOEXEC);
  }

 private:
  const std::array<UniqueFd, Spawner::kFdSlots>& slots_;
  int copy_below_;
  int dev_null_;
  std::size_t used_ = 0;
};

// Whether supd's oom_score_adj now differs from `original` (true when unsure). One pread here
// spares each child opening its own /proc file (a path walk: 9 % of a child's time before
// exec at 1000 programs) when, as usual, nothing changed it.
bool OomScoreAdjChanged(int own, const std::string& original) {
  char current[32];
  ssize_t n = own >= 0 ? pread(own, current, sizeof current, 0) : -1;
  if (n <= 0) return true;
  if (current[n - 1] == '\n') --n;
  return std::string_view(current, static_cast<std::size_t>(n)) != original;
}

// dup_fd copies a table in steps of BITS_PER_LONG descriptors: below this, no copy is smaller.
constexpr int kSmallFdTable = 64;

// A failed child is exiting with 127 and is reaped here: the Reaper never hears of it.
Result<void> AwaitExec(int status_read, pid_t pid, const SpawnRequest& request) {
  ChildFailure failure;
  const ExecStatus status = ReadExecStatus(status_read, failure);
  if (status == ExecStatus::kExeced) return {};
  WaitForFailedChild(pid);
  if (status == ExecStatus::kTorn) return Fail(SystemError("exec " + request.argv[0] + " (status pipe)", EIO));
  return Fail(DescribeFailure(failure, request));
}

// The kernel stamps a child's start (CLOCK_BOOTTIME, shown in clock ticks) inside clone.
// Reading that clock just before clone and again as the child's first act (ChildPlan::born_at)
// brackets it: when both readings fall in the same tick, that tick is the child's start time.
// A forked child cannot report back; the parent's reading after clone closes the bracket then.
// Reading /proc/<pid>/stat instead right after the spawn waits until the child's exec has
// finished (the file takes the exec lock), which serialised every spawn with its child's
// exec: spawn 1000 went 306 -> 381 ms.
class StartTicksBracket {
 public:
  StartTicksBracket() : before_(Ticks(Now())) {}
  // The start tick, or 0 when a tick boundary fell inside the bracket (rare: the bracket is
  // a clone's length when the child reported, a whole spawn's otherwise).
  std::uint64_t Close(const timespec& child_born) const {
    const bool reported = child_born.tv_sec != 0 || child_born.tv_nsec != 0;
    const std::uint64_t after = Ticks(reported ? child_born : Now());
    return after == before_ ? before_ : 0;
  }

 private:
  static timespec Now() {
    timespec now{};
    clock_gettime(CLOCK_BOOTTIME, &now);
    return now;
  }
  static std::uint64_t Ticks(const timespec& at) {
    static const long per_second = sysconf(_SC_CLK_TCK);
    if (per_second <= 0 || (at.tv_sec == 0 && at.tv_nsec == 0)) return 0;
    const std::uint64_t ns = static_cast<std::uint64_t>(at.tv_sec) * 1000000000ULL +
                             static_cast<std::uint64_t>(at.tv_nsec);
    return ns / (1000000000ULL / static_cast<std::uint64_t>(per_second));
  }
  std::uint64_t before_;
};

// Enough for RunChild's frames (its largest is a 4 KiB getdents buffer) with a wide margin.
constexpr std::size_t kChildStackSize = 256 * 1024;
constexpr std::size_t kGuardSize = 4096;

int ChildMain(void* plan) { RunChild(*static_cast<const ChildPlan*>(plan)); }

// Whether a child can run on `stack` while sharing supd's memory: not under ThreadSanitizer,
// which cannot follow a thread-like child it did not create.
bool CanShareMemory(const ChildStack& stack) {
#if defined(__SANITIZE_THREAD__)
  (void)stack;
  return false;
#else
  return stack.top() != nullptr;
#endif
}

// The flags of a child that borrows supd's memory until it execs (see StartChild).
unsigned long SharedChildFlags(const ChildStack& stack, const ChildPlan& plan) {
#if defined(__SANITIZE_ADDRESS__)
  // The previous child exec'd without returning from its instrumented frames, so their
  // redzones are still poisoned on this reused stack: the next child starts from clean shadow.
  ASAN_UNPOISON_MEMORY_REGION(stack.low(), stack.size());
#else
  (void)stack;
#endif
  return CLONE_VM | CLONE_VFORK | (plan.copy_below >= 0 ? CLONE_FILES : 0);
}

// clone(CLONE_VM | CLONE_VFORK) as posix_spawn does: the child borrows supd's memory until it
// execs, so nothing of supd's address space is copied (fork's page-table copy and the
// copy-on-write faults after it cost more than everything else a spawn does, and grow with
// supd's size). Falls back to fork without a stack, and under ThreadSanitizer.
pid_t StartChild(const ChildStack& stack, ChildPlan& plan) {
  if (CanShareMemory(stack))
    return clone(ChildMain, stack.top(), static_cast<int>(SharedChildFlags(stack, plan)) | SIGCHLD, &plan);
  const pid_t pid = fork();
  if (pid == 0) RunChild(plan);
  return pid;
}

// StartChild's clone made with clone3 instead, the child born in the cgroup `cgroup_fd`
// names; -1 with errno when the kernel refuses (see CloneIntoCgroup).
pid_t StartChildInCgroup(const ChildStack& stack, ChildPlan& plan, int cgroup_fd) {
  CloneIntoCgroupArgs args;
  args.child = ChildMain;
  args.child_arg = &plan;
  args.stack_low = stack.low();
  args.stack_size = stack.size();
  args.flags = SharedChildFlags(stack, plan);
  args.cgroup_fd = cgroup_fd;
  return CloneIntoCgroup(args);
}

}  // namespace

ChildStack::ChildStack() {
  void* base = mmap(nullptr, kChildStackSize, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return;
  mprotect(base, kGuardSize, PROT_NONE);  // an overflow faults instead of writing below
  base_ = base;
  top_ = static_cast<char*>(base) + kChildStackSize;
}

void* ChildStack::low() const { return base_ == nullptr ? nullptr : static_cast<char*>(base_) + kGuardSize; }

std::size_t ChildStack::size() const { return base_ == nullptr ? 0 : kChildStackSize - kGuardSize; }

ChildStack::~ChildStack() {
  if (base_ != nullptr) munmap(base_, kChildStackSize);
}

OriginalLimits OriginalLimits::Capture() {
  OriginalLimits out;
  out.have_rlimits = true;
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
    if (getrlimit(static_cast<__rlimit_resource>(resource), &out.rlimits[resource]) != 0) {
      out.have_rlimits = false;
    }
  }
  std::ifstream oom("/proc/self/oom_score_adj");
  std::getline(oom, out.oom_score_adj);
  return out;
}

Spawner::Spawner(OriginalLimits original)
    : original_(std::move(original)), dev_null_(open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  // Made first thing (Daemon constructs its Spawner before opening anything else), so the
  // slots get the lowest numbers above stdio: the child's private table stays a few fds long.
  if (dev_null_) {
    int highest = dev_null_.get();
    for (auto& slot : fd_slots_) {
      slot.reset(fcntl(dev_null_.get(), F_DUPFD_CLOEXEC, 3));
      highest = std::max(highest, slot.get());
    }
    const bool all = std::all_of(fd_slots_.begin(), fd_slots_.end(), [](auto& s) { return s.valid(); });
    if (all) copy_below_ = highest + 1;
  }
  own_oom_score_adj_.reset(open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC));
}

Result<SpawnedChild> Spawner::Spawn(const SpawnRequest& request) const {
  if (request.argv.empty() || request.argv[0].empty()) {
    return Fail(Error{ErrorCode::kInvalidConfig, 0, "exec: empty command"});
  }
  // Everything the child reads is prepared here: it may not allocate after fork.
  ExecArrays exec;
  PrepareExec(request, exec);
  std::vector<LimitSetting> original_limits;
  if (original_.have_rlimits) {
    for (int r = 0; r < RLIM_NLIMITS; ++r) original_limits.push_back({r, original_.rlimits[r]});
  }
  std::vector<LimitSetting> program_limits;
  AddProgramLimit(program_limits, original_, RLIMIT_NOFILE, request.limits.nofile);
  AddProgramLimit(program_limits, original_, RLIMIT_NPROC, request.limits.nproc);
  AddProgramLimit(program_limits, original_, RLIMIT_CORE, request.limits.core);
  const bool set_groups = geteuid() == 0 && (request.uid || request.gid);
  const std::vector<gid_t> groups = set_groups ? SupplementaryGroups(request) : std::vector<gid_t>{};
  ChildFds fds;
  if (auto prepared = PrepareFds(request, dev_null_.get(), fds); !prepared) return Fail(prepared.error());
  auto status_pipe = MakePipe("exec status");
  if (!status_pipe) return Fail(status_pipe.error());
  auto& [status_read, status_write] = *status_pipe;

  ChildPlan plan;
  plan.argv = exec.argv.data();
  plan.envp = exec.envp.data();
  plan.exec_paths = exec.exec_paths.data();
  plan.exec_path_count = exec.exec_paths.size();
  plan.watchdog_pid_digits = request.watchdog_pid ? exec.watchdog_pid_entry.data() + 13 : nullptr;
  plan.new_session = request.new_session;
  plan.fd_moves = fds.moves.data();
  plan.fd_move_count = fds.moves.size();
  plan.highest_target = fds.highest_target;
  plan.original_limits = original_limits.data();
  plan.original_limit_count = original_limits.size();
  plan.program_limits = program_limits.data();
  plan.program_limit_count = program_limits.size();
  if (!original_.oom_score_adj.empty() &&
      OomScoreAdjChanged(own_oom_score_adj_.get(), original_.oom_score_adj)) {
    plan.oom_score_adj = original_.oom_score_adj.c_str();
    plan.oom_score_adj_length = original_.oom_score_adj.size();
  }
  plan.set_umask = request.umask.has_value();
  plan.umask = request.umask.value_or(022);
  plan.set_groups = set_groups;
  plan.groups = groups.data();
  plan.group_count = groups.size();
  plan.set_gid = request.gid.has_value();
  plan.gid = request.gid.value_or(0);
  plan.set_uid = request.uid.has_value();
  plan.uid = request.uid.value_or(0);
  plan.directory = request.directory.empty() ? nullptr : request.directory.c_str();
  plan.signals = request.inherit_signals ? &original_.signals : &clean_signals_;
  plan.status_fd = status_write.get();
  // Which of supd's fds the child copies. A small supd (one program restarting) has every
  // source below 64, where the kernel copies a table in one 64-fd step anyway: the child takes
  // those as they are. A large one parks the sources on the slots and the child takes those.
  int highest_source = plan.status_fd;
  for (const auto& move : fds.moves) highest_source = std::max(highest_source, move.from);
  ParkedFds parked(fd_slots_, copy_below_, dev_null_.get());
  std::vector<FdMove> parked_moves = fds.moves;
  int parked_status = status_write.get();
  bool all_parked = highest_source >= kSmallFdTable && parked.Park(parked_status);
  for (auto& move : parked_moves) all_parked = all_parked && parked.Park(move.from);
  if (highest_source < kSmallFdTable) {
    plan.copy_below = kSmallFdTable;
  } else if (all_parked) {
    plan.copy_below = copy_below_;
    plan.fd_moves = parked_moves.data();
    plan.status_fd = parked_status;
  } else {  // more sources than slots (many pass_fds): the child copies everything
    parked.Release();
  }

  // All signals blocked across the clone: no handler of supd (libuv's included) may run in
  // the child before RunChild has reset the dispositions. The child unblocks just before exec.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  timespec child_born{};  // written by a CLONE_VM child; stays zero for a forked one
  plan.born_at = &child_born;
  const StartTicksBracket start;
  UniqueFd cgroup_procs;  // the cgroup's, when the child joins it by writing there
  bool born_in_cgroup = false;
  std::string failed = "fork";
  const pid_t pid = Start(request, plan, cgroup_procs, born_in_cgroup, failed);
  const int fork_error = errno;
  const std::uint64_t start_ticks = start.Close(child_born);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  parked.Release();  // the child has its own table now: ours must not hold its pipe ends
  if (pid < 0) return Fail(SystemError(failed, fork_error));  // EAGAIN at RLIMIT_NPROC

  // Our copies of the child's ends must go, or EOF would never come. libuv's race note
  // applies to the status pipe: a child forked by another thread between our pipe2 and this
  // close would hold its write end and stall AwaitExec; supd forks from the loop thread only.
  fds.stdout_write.reset();
  fds.stderr_write.reset();
  status_write.reset();
  if (auto execed = AwaitExec(status_read.get(), pid, request); !execed) return Fail(execed.error());

  for (UniqueFd* fd : {&fds.stdout_read, &fds.stderr_read}) {
    if (fd->valid()) fcntl(fd->get(), F_SETFL, fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  SpawnedChild child;
  child.pid = pid;
  child.stdout_read = std::move(fds.stdout_read);
  child.stderr_read = std::move(fds.stderr_read);
  child.start_ticks = start_ticks;
  child.born_in_cgroup = born_in_cgroup;
  return child;
}

pid_t Spawner::Start(const SpawnRequest& request, ChildPlan& plan, UniqueFd& cgroup_procs,
                     bool& born_in_cgroup, std::string& failed) const {
  if (request.cgroup_fd < 0) return StartChild(child_stack_, plan);
  if (clone_into_cgroup_ && CanShareMemory(child_stack_)) {
    const pid_t pid = StartChildInCgroup(child_stack_, plan, request.cgroup_fd);
    born_in_cgroup = pid > 0;
    if (pid > 0 || errno == EAGAIN || errno == ENOMEM) return pid;  // a fork would fail alike
    if (CloneIntoCgroupUnsupported(errno)) clone_into_cgroup_ = false;
    // Else (EBUSY, EOPNOTSUPP: a cgroup that cannot take processes) the write says why.
  }
  cgroup_procs.reset(openat(request.cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!cgroup_procs) {
    const int error = errno;
    failed = "open " + request.cgroup + "/cgroup.procs";
    errno = error;
    return -1;
  }
  plan.cgroup_procs_fd = cgroup_procs.get();
  return StartChild(child_stack_, plan);
}

Result<void> Kill(pid_t pid, int signal, bool to_group) {
  // pid <= 0 would address our own group or every process we may signal: never meant here.
  if (pid <= 0) return Fail(SystemError("kill: bad pid " + std::to_string(pid), EINVAL));
  if (kill(to_group ? -pid : pid, signal) != 0) {
    return Fail(SystemError("signal " + std::to_string(signal) + (to_group ? " to group " : " to pid ") +
                                std::to_string(pid),
                            errno));
  }
  return {};
}

bool GroupAlive(pid_t pgid) {
  if (pgid <= 0) return false;
  return kill(-pgid, 0) == 0 || errno == EPERM;
}

}  // namespace sup::daemon
