#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sup::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sup-init-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

void RedirectOrDie(const std::string& path, int target, int flags) {
  if (path.empty()) return;
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0 || dup2(fd, target) < 0) _exit(125);
  close(fd);
}

}  // namespace

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::string& stdout_path,
                       const std::string& stderr_path) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // Until exec, the child still has Catch's signal handlers: keep signals blocked so that a
  // signal the test sends right away waits for the real program instead of running them.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_ = fork();
  if (pid_ == 0) {
    RedirectOrDie("/dev/null", 0, O_RDONLY);
    RedirectOrDie(stdout_path, 1, O_WRONLY | O_CREAT | O_APPEND);
    RedirectOrDie(stderr_path, 2, O_WRONLY | O_CREAT | O_APPEND);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(cargv[0], cargv.data());
    _exit(125);
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Subprocess::~Subprocess() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
}

std::optional<int> Subprocess::WaitExit(std::chrono::milliseconds bound) {
  std::optional<int> code;
  WaitUntil([&] {
    int status;
    if (reaped_ || waitpid(pid_, &status, WNOHANG) != pid_) return reaped_;
    reaped_ = true;
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }, bound);
  return code;
}

PidReaperGuard::~PidReaperGuard() {
  for (pid_t pid : pids_) {
    if (pid > 1 && ProcState(pid) != '\0') kill(pid, SIGKILL);
  }
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text, int mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  chmod(path.c_str(), mode);
}

pid_t ReadPidFile(const std::string& path) {
  const std::string text = ReadFile(path);
  if (text.empty() || text.back() != '\n') return 0;  // not completely written yet
  return static_cast<pid_t>(std::strtol(text.c_str(), nullptr, 10));
}

namespace {

bool ReadStat(pid_t pid, char& state, pid_t& ppid) {
  const std::string text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  int parent = 0;
  if (std::sscanf(text.c_str() + paren + 1, " %c %d", &state, &parent) != 2) return false;
  ppid = parent;
  return true;
}

}  // namespace

char ProcState(pid_t pid) {
  char state = '\0';
  pid_t ppid = 0;
  return ReadStat(pid, state, ppid) ? state : '\0';
}

pid_t ProcParent(pid_t pid) {
  char state = '\0';
  pid_t ppid = 0;
  return ReadStat(pid, state, ppid) ? ppid : 0;
}

}  // namespace sup::test
