// The parent's side of Spawn: prepare every array the child needs, fork, then learn from the
// exec-status pipe whether the child exec'd. The child's side is child_plan.cpp.
#include "process/spawner.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>

#include "process/child_plan.h"
#include "process/environment.h"

namespace sup::daemon {
namespace {

Result<std::pair<UniqueFd, UniqueFd>> MakePipe(const char* what) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Fail(SystemError(std::string("pipe2 ") + what, errno));
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
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
  std::string what;
  switch (failure.stage) {
    case ChildStage::kSession: what = request.new_session ? "setsid" : "setpgid"; break;
    case ChildStage::kStdio: what = "dup2 fd " + std::to_string(failure.detail); break;
    case ChildStage::kCloseFds: what = "close_range"; break;
    case ChildStage::kRlimit: what = "setrlimit " + LimitName(failure.detail); break;
    case ChildStage::kSetgroups: what = "setgroups " + request.user; break;
    case ChildStage::kSetgid: what = "setgid " + std::to_string(request.gid.value_or(0)); break;
    case ChildStage::kSetuid: what = "setuid " + std::to_string(request.uid.value_or(0)); break;
    case ChildStage::kCredentialsKept:
      what = "setuid " + std::to_string(request.uid.value_or(0)) + " (credentials unchanged)";
      break;
    case ChildStage::kChdir: what = "chdir " + request.directory; break;
    case ChildStage::kSignalMask: what = "sigprocmask"; break;
    case ChildStage::kExec: what = "exec " + request.argv[0]; break;
  }
  return SystemError(std::move(what), failure.error > 0 ? failure.error : EIO);
}

void WaitForFailedChild(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

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
    : original_(std::move(original)), dev_null_(open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

Result<SpawnedChild> Spawner::Spawn(const SpawnRequest& request) const {
  if (request.argv.empty() || request.argv[0].empty()) {
    return Fail(Error{ErrorCode::kInvalidConfig, 0, "exec: empty command"});
  }

  // --- Everything the child reads, prepared here: it may not allocate after fork. ---
  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  std::string watchdog_pid_entry;
  std::vector<char*> envp;
  for (const auto& entry : request.env) {
    if (request.watchdog_pid && entry.rfind("WATCHDOG_PID=", 0) == 0) continue;
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  if (request.watchdog_pid) {
    watchdog_pid_entry = "WATCHDOG_PID=" + std::string(24, '\0');
    envp.push_back(watchdog_pid_entry.data());
  }
  envp.push_back(nullptr);

  const std::vector<std::string> candidates = ExecCandidates(request.argv[0], request.env);
  std::vector<const char*> exec_paths;
  for (const auto& c : candidates) exec_paths.push_back(c.c_str());

  std::vector<LimitSetting> original_limits;
  if (original_.have_rlimits) {
    for (int r = 0; r < RLIM_NLIMITS; ++r) original_limits.push_back({r, original_.rlimits[r]});
  }
  std::vector<LimitSetting> program_limits;
  AddProgramLimit(program_limits, original_, RLIMIT_NOFILE, request.limits.nofile);
  AddProgramLimit(program_limits, original_, RLIMIT_NPROC, request.limits.nproc);
  AddProgramLimit(program_limits, original_, RLIMIT_CORE, request.limits.core);

  std::vector<gid_t> groups;
  const bool privileged = geteuid() == 0;
  if (privileged && (request.uid || request.gid)) {
    if (request.gid) groups.push_back(*request.gid);
    if (request.uid && !request.user.empty()) {
      int count = 32;
      for (;;) {  // initgroups' list, read here: NSS is not async-signal-safe
        groups.assign(static_cast<std::size_t>(count), 0);
        const gid_t base = request.gid.value_or(getegid());
        if (getgrouplist(request.user.c_str(), base, groups.data(), &count) >= 0) break;
        if (count <= static_cast<int>(groups.size())) count = static_cast<int>(groups.size()) * 2;
      }
      groups.resize(static_cast<std::size_t>(count));
    }
  }

  // --- Descriptors. ---
  std::vector<FdMove> moves;
  UniqueFd stdout_read, stdout_write, stderr_read, stderr_write;
  UniqueFd dev_null_fallback;
  if (request.capture_output) {
    int stdin_source = request.stdin_fd;
    if (stdin_source < 0) {
      stdin_source = dev_null_.get();
      if (stdin_source < 0) {
        dev_null_fallback.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!dev_null_fallback) return Fail(SystemError("open /dev/null", errno));
        stdin_source = dev_null_fallback.get();
      }
    }
    auto out = MakePipe("stdout");
    if (!out) return Fail(out.error());
    std::tie(stdout_read, stdout_write) = std::move(*out);
    if (!request.merge_stderr) {
      auto err = MakePipe("stderr");
      if (!err) return Fail(err.error());
      std::tie(stderr_read, stderr_write) = std::move(*err);
    }
    moves.push_back({stdin_source, 0});
    moves.push_back({stdout_write.get(), 1});
    moves.push_back({request.merge_stderr ? stdout_write.get() : stderr_write.get(), 2});
  } else if (request.stdin_fd >= 0) {
    moves.push_back({request.stdin_fd, 0});
  }
  std::set<int> targets{0, 1, 2};
  int highest_target = 2;
  for (const auto& [from, to] : request.pass_fds) {
    if (from < 0 || to < 0 || !targets.insert(to).second) {
      return Fail(Error{ErrorCode::kInvalidConfig, 0,
                        "pass_fds: bad or duplicate target fd " + std::to_string(to)});
    }
    moves.push_back({from, to});
    highest_target = std::max(highest_target, to);
  }

  auto status_pipe = MakePipe("exec status");
  if (!status_pipe) return Fail(status_pipe.error());
  auto& [status_read, status_write] = *status_pipe;

  ChildPlan plan;
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.exec_paths = exec_paths.data();
  plan.exec_path_count = exec_paths.size();
  plan.watchdog_pid_digits = request.watchdog_pid ? watchdog_pid_entry.data() + 13 : nullptr;
  plan.new_session = request.new_session;
  plan.fd_moves = moves.data();
  plan.fd_move_count = moves.size();
  plan.highest_target = highest_target;
  plan.original_limits = original_limits.data();
  plan.original_limit_count = original_limits.size();
  plan.program_limits = program_limits.data();
  plan.program_limit_count = program_limits.size();
  if (!original_.oom_score_adj.empty()) {
    plan.oom_score_adj = original_.oom_score_adj.c_str();
    plan.oom_score_adj_length = original_.oom_score_adj.size();
  }
  plan.set_umask = request.umask.has_value();
  plan.umask = request.umask.value_or(022);
  plan.set_groups = privileged && (request.uid || request.gid);
  plan.groups = groups.data();
  plan.group_count = groups.size();
  plan.set_gid = request.gid.has_value();
  plan.gid = request.gid.value_or(0);
  plan.set_uid = request.uid.has_value();
  plan.uid = request.uid.value_or(0);
  plan.directory = request.directory.empty() ? nullptr : request.directory.c_str();
  plan.status_fd = status_write.get();

  // All signals blocked across fork: no handler of supd (libuv's included) may run in the
  // child before RunChild has reset the dispositions. The child unblocks just before exec.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  const pid_t pid = fork();
  if (pid == 0) RunChild(plan);
  const int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) return Fail(SystemError("fork", fork_error));

  // Our copies of the child's ends must go, or EOF would never come.
  stdout_write.reset();
  stderr_write.reset();
  status_write.reset();

  // EOF: exec succeeded (the pipe was O_CLOEXEC). A ChildFailure: it did not, and the child
  // is exiting with 127. libuv's race note applies: a child forked by another thread between
  // our pipe2 and our close would hold the write end; supd forks from the loop thread only.
  ChildFailure failure{};
  std::size_t got = 0;
  while (got < sizeof failure) {
    const ssize_t n = read(status_read.get(), reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != 0) {
    WaitForFailedChild(pid);
    if (got != sizeof failure) return Fail(SystemError("exec " + request.argv[0] + " (status pipe)", EIO));
    return Fail(DescribeFailure(failure, request));
  }

  for (UniqueFd* fd : {&stdout_read, &stderr_read}) {
    if (fd->valid()) fcntl(fd->get(), F_SETFL, fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  SpawnedChild child;
  child.pid = pid;
  child.stdout_read = std::move(stdout_read);
  child.stderr_read = std::move(stderr_read);
  return child;
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
