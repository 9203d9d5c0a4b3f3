// fake_worker: the one helper program of sup's tests. It runs the actions given as arguments,
// in order, then exits 0:  fake_worker print:hello sleep:100 exit:3
//
// Output actions (stdout unless noted; every line is flushed at once):
//   print:TEXT          TEXT                       eprint:TEXT  TEXT on stderr
//   lines:N[:PREFIX]    N lines "PREFIX000001".."PREFIX<N>", written in 64 KiB chunks
//   bytes:N             N bytes 'x', no newline
//   fds                 "fds: 0 1 2"               (open descriptors, ascending)
//   env:NAME            "NAME=value" or "NAME unset"
//   pwd                 "pwd=/current/dir"
//   ids                 "uid=U euid=U gid=G egid=G groups=G1,G2"
//   umask               "umask=0022"
//   rlimit:NAME         "rlimit nofile=SOFT:HARD"  (NAME: nofile, nproc, core; "unlimited")
//   sigmask             "sigmask=0000000000000000" (blocked signals, bit N-1 for signal N)
//   sigign              "sigign=0000000000000000"  (signals whose disposition is SIG_IGN)
//   pgid                "pgid=G sid=S pid=P"
//   pid                 "pid=P"
//   stdin               "stdin: N bytes"           (reads fd 0 to EOF)
// Process actions:
//   sleep:MS, forever (pause until a signal ends it), exit:N, kill:SIG (raise; SIG is "TERM",
//   "SIGTERM" or "15"), ignore:SIG (SIG_IGN), trapexit:SIG:N (on SIG, exit N),
//   orphan:MS (double fork: a grandchild on /dev/null sleeps MS then exits; the middle child
//   exits at once; prints "orphan=PID"), grandchild (a child in our process group that sleeps
//   until killed; prints "grandchild=PID"), pidfile:PATH (writes our pid), append:PATH:TEXT
//   (appends the line TEXT), notify:MSG (one sd_notify datagram to $NOTIFY_SOCKET; a literal
//   "\n" in MSG separates assignments), ready-after:MS (sleep MS, then notify:READY=1).
// An unknown or malformed action prints a message on stderr and exits 2.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace {

// Exit code per signal for trapexit; read by the handler, hence a static (the only one).
volatile sig_atomic_t g_trap_exit_code[NSIG];

[[noreturn]] void Usage(const std::string& message) {
  std::fprintf(stderr, "fake_worker: %s\n", message.c_str());
  std::fflush(stdout);
  std::_Exit(2);
}

void Line(const std::string& text, FILE* stream = stdout) {
  std::fprintf(stream, "%s\n", text.c_str());
  std::fflush(stream);
}

std::optional<long long> ParseNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return value;
}

long long Number(const std::string& text, const std::string& action) {
  const auto value = ParseNumber(text);
  if (!value || *value < 0) Usage("bad number '" + text + "' in " + action);
  return *value;
}

int Signal(const std::string& text, const std::string& action) {
  static constexpr struct { const char* name; int number; } kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},     {"ILL", SIGILL},
      {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},   {"BUS", SIGBUS},       {"FPE", SIGFPE},
      {"KILL", SIGKILL}, {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM},     {"CHLD", SIGCHLD},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},
      {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
      {"PWR", SIGPWR},   {"SYS", SIGSYS}};
  if (const auto number = ParseNumber(text)) {
    if (*number > 0 && *number < NSIG) return static_cast<int>(*number);
  }
  const std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
  for (const auto& s : kSignals) {
    if (name == s.name) return s.number;
  }
  Usage("bad signal '" + text + "' in " + action);
}

void SleepMs(long long ms) {
  timespec left{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "fake_worker: write: %s\n", std::strerror(errno));
      std::_Exit(1);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void NumberedLines(long long count, const std::string& prefix) {
  std::fflush(stdout);
  std::string chunk;
  chunk.reserve(70'000);
  char digits[32];
  for (long long i = 1; i <= count; ++i) {
    std::snprintf(digits, sizeof digits, "%06lld\n", i);
    chunk += prefix;
    chunk += digits;
    if (chunk.size() >= 65'536) {
      WriteAll(STDOUT_FILENO, chunk.data(), chunk.size());
      chunk.clear();
    }
  }
  WriteAll(STDOUT_FILENO, chunk.data(), chunk.size());
}

void Bytes(long long count) {
  std::fflush(stdout);
  const std::string chunk(65'536, 'x');
  while (count > 0) {
    const size_t n = static_cast<size_t>(std::min<long long>(count, 65'536));
    WriteAll(STDOUT_FILENO, chunk.data(), n);
    count -= static_cast<long long>(n);
  }
}

void ListFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) Usage(std::string("opendir /proc/self/fd: ") + std::strerror(errno));
  std::vector<int> fds;
  while (const dirent* entry = readdir(dir)) {
    const auto fd = ParseNumber(entry->d_name);
    if (fd && *fd != dirfd(dir)) fds.push_back(static_cast<int>(*fd));
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  std::string text = "fds:";
  for (int fd : fds) text += " " + std::to_string(fd);
  Line(text);
}

void Ids() {
  std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
  const int count = getgroups(static_cast<int>(groups.size()), groups.data());
  groups.resize(static_cast<size_t>(std::max(count, 0)));
  std::sort(groups.begin(), groups.end());
  std::string text = "uid=" + std::to_string(getuid()) + " euid=" + std::to_string(geteuid()) +
                     " gid=" + std::to_string(getgid()) + " egid=" + std::to_string(getegid()) +
                     " groups=";
  for (size_t i = 0; i < groups.size(); ++i) text += (i ? "," : "") + std::to_string(groups[i]);
  Line(text);
}

void Rlimit(const std::string& name) {
  int resource = 0;
  if (name == "nofile") {
    resource = RLIMIT_NOFILE;
  } else if (name == "nproc") {
    resource = RLIMIT_NPROC;
  } else if (name == "core") {
    resource = RLIMIT_CORE;
  } else {
    Usage("bad rlimit '" + name + "'");
  }
  rlimit limit{};
  getrlimit(resource, &limit);
  auto show = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  Line("rlimit " + name + "=" + show(limit.rlim_cur) + ":" + show(limit.rlim_max));
}

void SignalMasks(bool ignored) {
  std::uint64_t bits = 0;
  sigset_t blocked;
  sigprocmask(SIG_BLOCK, nullptr, &blocked);
  for (int sig = 1; sig < NSIG && sig <= 64; ++sig) {
    bool set = false;
    if (ignored) {
      struct sigaction action {};
      set = sigaction(sig, nullptr, &action) == 0 && action.sa_handler == SIG_IGN;
    } else {
      set = sigismember(&blocked, sig) == 1;
    }
    if (set) bits |= std::uint64_t{1} << (sig - 1);
  }
  char text[64];
  std::snprintf(text, sizeof text, "%s=%016llx", ignored ? "sigign" : "sigmask",
                static_cast<unsigned long long>(bits));
  Line(text);
}

void OnTrappedSignal(int sig) { _exit(g_trap_exit_code[sig]); }

void TrapExit(const std::string& arg, const std::string& action) {
  const size_t colon = arg.find(':');
  if (colon == std::string::npos) Usage("trapexit needs SIG:N");
  const int sig = Signal(arg.substr(0, colon), action);
  g_trap_exit_code[sig] = static_cast<sig_atomic_t>(Number(arg.substr(colon + 1), action));
  struct sigaction handler {};
  handler.sa_handler = OnTrappedSignal;
  sigemptyset(&handler.sa_mask);
  if (sigaction(sig, &handler, nullptr) != 0) Usage("sigaction: " + std::string(std::strerror(errno)));
}

void Orphan(long long ms) {
  int channel[2];
  if (pipe2(channel, O_CLOEXEC) != 0) Usage("pipe2: " + std::string(std::strerror(errno)));
  std::fflush(nullptr);
  const pid_t middle = fork();
  if (middle < 0) Usage("fork: " + std::string(std::strerror(errno)));
  if (middle == 0) {
    const pid_t grandchild = fork();
    if (grandchild == 0) {
      close(channel[1]);
      const int null_fd = open("/dev/null", O_RDWR);
      for (int fd = 0; fd <= 2; ++fd) dup2(null_fd, fd);
      SleepMs(ms);
      _exit(0);
    }
    WriteAll(channel[1], reinterpret_cast<const char*>(&grandchild), sizeof grandchild);
    _exit(grandchild > 0 ? 0 : 1);
  }
  close(channel[1]);
  pid_t grandchild = -1;
  const ssize_t n = read(channel[0], &grandchild, sizeof grandchild);
  close(channel[0]);
  int status = 0;
  while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof grandchild) || grandchild <= 0) Usage("orphan: fork failed");
  Line("orphan=" + std::to_string(grandchild));
}

void Grandchild() {
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) Usage("fork: " + std::string(std::strerror(errno)));
  if (child == 0) {
    for (;;) pause();
  }
  Line("grandchild=" + std::to_string(child));
}

void WriteFile(const std::string& path, const std::string& text, bool append) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  const int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) Usage("open " + path + ": " + std::strerror(errno));
  const std::string line = text + "\n";
  WriteAll(fd, line.data(), line.size());
  close(fd);
}

void Notify(std::string message) {
  for (size_t at = 0; (at = message.find("\\n", at)) != std::string::npos;) {
    message.replace(at, 2, "\n");
    ++at;
  }
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || *path == '\0') {
    Line("fake_worker: notify: NOTIFY_SOCKET unset", stderr);
    return;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const size_t length = std::strlen(path);
  if (length >= sizeof address.sun_path) Usage("notify: NOTIFY_SOCKET too long");
  std::memcpy(address.sun_path, path, length);
  if (path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Usage("socket: " + std::string(std::strerror(errno)));
  iovec part{message.data(), message.size()};
  msghdr header{};
  header.msg_name = &address;
  header.msg_namelen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
  header.msg_iov = &part;
  header.msg_iovlen = 1;
  if (sendmsg(fd, &header, MSG_NOSIGNAL) < 0) {
    Line("fake_worker: notify: sendmsg " + std::string(path) + ": " + std::strerror(errno), stderr);
  }
  close(fd);
}

void Stdin() {
  char buffer[4096];
  long long total = 0;
  for (;;) {
    const ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += n;
  }
  Line("stdin: " + std::to_string(total) + " bytes");
}

void Run(const std::string& action) {
  const size_t colon = action.find(':');
  const std::string name = action.substr(0, colon);
  const bool has_arg = colon != std::string::npos;
  const std::string arg = has_arg ? action.substr(colon + 1) : std::string();
  auto need_arg = [&] {
    if (!has_arg) Usage("action '" + name + "' needs an argument");
  };

  if (name == "print") {
    need_arg();
    Line(arg);
  } else if (name == "eprint") {
    need_arg();
    Line(arg, stderr);
  } else if (name == "lines") {
    need_arg();
    const size_t sep = arg.find(':');
    NumberedLines(Number(arg.substr(0, sep), action), sep == std::string::npos ? "" : arg.substr(sep + 1));
  } else if (name == "bytes") {
    need_arg();
    Bytes(Number(arg, action));
  } else if (name == "sleep") {
    need_arg();
    SleepMs(Number(arg, action));
  } else if (name == "forever") {
    std::fflush(nullptr);
    for (;;) pause();
  } else if (name == "exit") {
    need_arg();
    std::fflush(nullptr);
    std::_Exit(static_cast<int>(Number(arg, action)));
  } else if (name == "kill") {
    need_arg();
    std::fflush(nullptr);
    raise(Signal(arg, action));
  } else if (name == "ignore") {
    need_arg();
    signal(Signal(arg, action), SIG_IGN);
  } else if (name == "trapexit") {
    need_arg();
    TrapExit(arg, action);
  } else if (name == "fds") {
    ListFds();
  } else if (name == "env") {
    need_arg();
    const char* value = std::getenv(arg.c_str());
    Line(value ? arg + "=" + value : arg + " unset");
  } else if (name == "pwd") {
    char path[PATH_MAX];
    Line(std::string("pwd=") + (getcwd(path, sizeof path) ? path : std::strerror(errno)));
  } else if (name == "ids") {
    Ids();
  } else if (name == "umask") {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    char text[32];
    std::snprintf(text, sizeof text, "umask=%04o", static_cast<unsigned>(mask));
    Line(text);
  } else if (name == "rlimit") {
    need_arg();
    Rlimit(arg);
  } else if (name == "sigmask" || name == "sigign") {
    SignalMasks(name == "sigign");
  } else if (name == "orphan") {
    need_arg();
    Orphan(Number(arg, action));
  } else if (name == "grandchild") {
    Grandchild();
  } else if (name == "pidfile") {
    need_arg();
    WriteFile(arg, std::to_string(getpid()), false);
  } else if (name == "append") {
    const size_t sep = arg.find(':');
    if (!has_arg || sep == std::string::npos) Usage("append needs PATH:TEXT");
    WriteFile(arg.substr(0, sep), arg.substr(sep + 1), true);
  } else if (name == "notify") {
    need_arg();
    Notify(arg);
  } else if (name == "ready-after") {
    need_arg();
    SleepMs(Number(arg, action));
    Notify("READY=1");
  } else if (name == "pgid") {
    Line("pgid=" + std::to_string(getpgrp()) + " sid=" + std::to_string(getsid(0)) +
         " pid=" + std::to_string(getpid()));
  } else if (name == "pid") {
    Line("pid=" + std::to_string(getpid()));
  } else if (name == "stdin") {
    Stdin();
  } else {
    Usage("unknown action '" + action + "'");
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) Run(argv[i]);
  std::fflush(nullptr);
  return 0;
}
