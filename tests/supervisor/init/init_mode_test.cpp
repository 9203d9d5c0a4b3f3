// Drives init_mode_driver (what `supd -- CMD` runs) as a subprocess of the test. The driver
// is not PID 1 here, so it is a child subreaper; tests/pid1/ covers the PID 1 case.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "subprocess.h"

using namespace std::chrono_literals;
using sup::test::PidReaperGuard;
using sup::test::ProcParent;
using sup::test::ProcState;
using sup::test::ReadFile;
using sup::test::ReadPidFile;
using sup::test::Subprocess;
using sup::test::TempDir;
using sup::test::WaitUntil;
using sup::test::WriteFile;

namespace {

std::vector<std::string> Driver(std::vector<std::string> options, const std::vector<std::string>& command) {
  options.insert(options.begin(), SUP_INIT_DRIVER);
  options.push_back("--");
  options.insert(options.end(), command.begin(), command.end());
  return options;
}

std::vector<std::string> Shell(const std::string& script) { return {"/bin/sh", "-c", script}; }

bool FileHas(const std::string& path, const std::string& text) {
  return ReadFile(path).find(text) != std::string::npos;
}

// A child script that records every HUP, USR1, TSTP and CONT it gets in $1/got, exits 7 on
// TERM, and writes $1/ready once its traps are in place (before that, a signal would kill it).
constexpr const char* kRecorder = R"(
  d="$1"
  trap 'echo HUP >> "$d/got"' HUP
  trap 'echo USR1 >> "$d/got"' USR1
  trap 'echo TSTP >> "$d/got"' TSTP
  trap 'echo CONT >> "$d/got"' CONT
  trap 'echo TERM >> "$d/got"; exit 7' TERM
  echo ready > "$d/ready"
  while :; do sleep 0.05; done
)";

}  // namespace

TEST_CASE("Init mode: the child exits 3 -> supd exits 3", "[init]") {
  Subprocess supd(Driver({}, Shell("exit 3")));
  CHECK(supd.WaitExit() == 3);
}

TEST_CASE("Init mode: the child exits 0 -> supd exits 0", "[init]") {
  Subprocess supd(Driver({}, {"/bin/true"}));
  CHECK(supd.WaitExit() == 0);
}

TEST_CASE("Init mode: the child dies of SIGKILL -> supd exits 137", "[init]") {
  Subprocess supd(Driver({}, Shell("kill -KILL $$")));
  CHECK(supd.WaitExit() == 128 + SIGKILL);
}

TEST_CASE("Init mode: a command found in PATH -> runs with its arguments", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, {"sh", "-c", "echo \"$0-$1\" > \"$1/out\"", "arg0", dir.path().string()}));
  CHECK(supd.WaitExit() == 0);
  CHECK(ReadFile(dir / "out") == "arg0-" + dir.path().string() + "\n");
}

TEST_CASE("Init mode: a command not found -> exits 127 with the OS error on stderr", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, {"sup-no-such-command-xyz", "arg"}), "", dir / "stderr");
  CHECK(supd.WaitExit() == 127);
  CHECK(ReadFile(dir / "stderr") == "supd: exec sup-no-such-command-xyz: No such file or directory\n");
}

TEST_CASE("Init mode: a file without execute permission -> exits 126 with the OS error", "[init]") {
  TempDir dir;
  WriteFile(dir / "script", "#!/bin/sh\nexit 0\n", 0644);
  Subprocess supd(Driver({}, {dir / "script"}), "", dir / "stderr");
  CHECK(supd.WaitExit() == 126);
  CHECK(ReadFile(dir / "stderr") == "supd: exec " + (dir / "script") + ": Permission denied\n");
}

TEST_CASE("Init mode: fds 0-2 -> inherited by the child unchanged", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, Shell("echo out; echo err >&2")), dir / "stdout", dir / "stderr");
  CHECK(supd.WaitExit() == 0);
  CHECK(ReadFile(dir / "stdout") == "out\n");
  CHECK(ReadFile(dir / "stderr") == "err\n");
}

TEST_CASE("Init mode: a script without #! -> run by /bin/sh, as execvp and tini do", "[init]") {
  TempDir dir;
  WriteFile(dir / "script", "echo \"ran-$1\" > \"$2/out\"\n", 0755);
  Subprocess supd(Driver({}, {dir / "script", "x", dir.path().string()}));
  CHECK(supd.WaitExit() == 0);
  CHECK(ReadFile(dir / "out") == "ran-x\n");
}

TEST_CASE("Init mode: an inherited fd above 2 -> passed to the child unchanged, as tini does", "[init]") {
  TempDir dir;
  const int file = open((dir / "side").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);  // no O_CLOEXEC
  REQUIRE(file >= 0);
  const int nine = fcntl(file, F_DUPFD, 9);
  close(file);
  REQUIRE(nine >= 9);
  Subprocess supd(Driver({}, Shell("echo side >&" + std::to_string(nine))));
  close(nine);
  CHECK(supd.WaitExit() == 0);
  CHECK(ReadFile(dir / "side") == "side\n");
}

TEST_CASE("Init mode: the child -> own process group, empty signal mask, no ignored signal", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, {"/bin/sh", "-c",
                              "echo $$ > \"$0/pid\"; cut -d' ' -f5 /proc/$$/stat > \"$0/pgid\"; "
                              // exec: the shell blocks signals around its own forks
                              "exec grep -E 'SigBlk|SigIgn' /proc/self/status > \"$0/sig\"",
                              dir.path().string()}));
  CHECK(supd.WaitExit() == 0);
  CHECK(ReadFile(dir / "pgid") == ReadFile(dir / "pid"));
  CHECK(ReadFile(dir / "sig") == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("Init mode: HUP, USR1 and TERM sent to supd -> forwarded to the child", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, {"/bin/sh", "-c", kRecorder, "recorder", dir.path().string()}));
  REQUIRE(WaitUntil([&] { return FileHas(dir / "ready", "ready"); }));
  kill(supd.pid(), SIGHUP);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "got", "HUP"); }));
  kill(supd.pid(), SIGUSR1);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "got", "USR1"); }));
  kill(supd.pid(), SIGTERM);
  CHECK(supd.WaitExit() == 7);
  CHECK(ReadFile(dir / "got") == "HUP\nUSR1\nTERM\n");
}

TEST_CASE("Init mode: a signal sent before the child set its traps -> still delivered, kills it", "[init]") {
  Subprocess supd(Driver({}, Shell("while :; do sleep 0.05; done")));
  kill(supd.pid(), SIGINT);  // forwarded to the child whenever supd takes it: never lost
  CHECK(supd.WaitExit() == 128 + SIGINT);
}

namespace {

// The child records USR1 as "main"; a second process in its group records it as "sub".
std::string GroupScript() {
  return R"(
    d="$1"
    sh -c 'trap "echo sub >> \"$0/got\"; exit 0" USR1; echo $$ > "$0/sub"; while :; do sleep 0.05; done' "$d" &
    trap 'echo main >> "$d/got"' USR1
    while [ ! -s "$d/sub" ]; do sleep 0.01; done
    echo ready > "$d/ready"
    while :; do sleep 0.05; done
  )";
}

}  // namespace

TEST_CASE("Init mode: --group -> a forwarded signal reaches the child's whole group", "[init]") {
  TempDir dir;
  PidReaperGuard guard;
  Subprocess supd(Driver({"--group"}, {"/bin/sh", "-c", GroupScript(), "group", dir.path().string()}));
  REQUIRE(WaitUntil([&] { return FileHas(dir / "ready", "ready"); }));
  guard.Add(ReadPidFile(dir / "sub"));
  kill(supd.pid(), SIGUSR1);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "got", "main") && FileHas(dir / "got", "sub"); }));
  kill(supd.pid(), SIGTERM);
  CHECK(supd.WaitExit() == 128 + SIGTERM);
}

TEST_CASE("Init mode: without --group -> a forwarded signal reaches the child only", "[init]") {
  TempDir dir;
  PidReaperGuard guard;
  Subprocess supd(Driver({"--stop-timeout", "5s"}, {"/bin/sh", "-c", GroupScript(), "group", dir.path().string()}));
  REQUIRE(WaitUntil([&] { return FileHas(dir / "ready", "ready"); }));
  const pid_t sub = ReadPidFile(dir / "sub");
  guard.Add(sub);
  kill(supd.pid(), SIGUSR1);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "got", "main"); }));
  kill(supd.pid(), SIGTERM);  // kills the child; `sub` is then a leftover: TERM ends it
  CHECK(supd.WaitExit() == 128 + SIGTERM);
  CHECK(ReadFile(dir / "got") == "main\n");
  CHECK(ProcState(sub) == '\0');
}

TEST_CASE("Init mode: TSTP sent to supd -> forwarded and supd stops, then CONT -> both continue", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, {"/bin/sh", "-c", kRecorder, "recorder", dir.path().string()}));
  REQUIRE(WaitUntil([&] { return FileHas(dir / "ready", "ready"); }));
  kill(supd.pid(), SIGTSTP);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "got", "TSTP"); }));
  REQUIRE(WaitUntil([&] { return ProcState(supd.pid()) == 'T'; }));
  kill(supd.pid(), SIGCONT);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "got", "CONT"); }));
  CHECK(ProcState(supd.pid()) != 'T');
  kill(supd.pid(), SIGTERM);
  CHECK(supd.WaitExit() == 7);
}

TEST_CASE("Init mode: the child stopped by a job-control signal -> supd stops too", "[init]") {
  TempDir dir;
  Subprocess supd(Driver({}, {"/bin/sh", "-c", "echo $$ > \"$0/pid\"; exec sleep 600",
                              dir.path().string()}));
  REQUIRE(WaitUntil([&] { return ReadPidFile(dir / "pid") != 0; }));
  const pid_t child = ReadPidFile(dir / "pid");
  // `exec sleep`: a shell loop may be caught in vfork (state D) and then never reports a stop.
  kill(-child, SIGTSTP);  // what ^Z at the terminal does to the foreground group
  REQUIRE(WaitUntil([&] { return ProcState(supd.pid()) == 'T'; }));
  kill(supd.pid(), SIGCONT);  // `fg`: supd continues the group it stopped with
  REQUIRE(WaitUntil([&] { return ProcState(child) != 'T' && ProcState(supd.pid()) != 'T'; }));
  kill(supd.pid(), SIGTERM);
  CHECK(supd.WaitExit() == 128 + SIGTERM);
}

TEST_CASE("Init mode: an orphan of the child -> adopted by supd (subreaper) and reaped", "[init]") {
  TempDir dir;
  PidReaperGuard guard;
  Subprocess supd(Driver({}, {"/bin/sh", "-c",
                              "sh -c 'sleep 30 & echo $! > \"$0/orphan\"' \"$0\"; "
                              "while [ ! -e \"$0/done\" ]; do sleep 0.02; done; exit 4",
                              dir.path().string()}));
  REQUIRE(WaitUntil([&] { return ReadPidFile(dir / "orphan") != 0; }));
  const pid_t orphan = ReadPidFile(dir / "orphan");
  guard.Add(orphan);
  REQUIRE(WaitUntil([&] { return ProcParent(orphan) == supd.pid(); }));
  kill(orphan, SIGKILL);
  // Gone from /proc, not a zombie: supd reaped it while its child still runs.
  REQUIRE(WaitUntil([&] { return ProcState(orphan) == '\0'; }));
  WriteFile(dir / "done", "");
  CHECK(supd.WaitExit() == 4);
}

TEST_CASE("Init mode: leftovers that exit on TERM -> TERMed after the child exits, no SIGKILL", "[init]") {
  TempDir dir;
  PidReaperGuard guard;
  Subprocess supd(Driver({"--stop-timeout", "20s"},
                         {"/bin/sh", "-c",
                          "setsid sh -c 'trap \"echo termed > \\\"$0/termed\\\"; exit 0\" TERM; "
                          "echo $$ > \"$0/left\"; while :; do sleep 0.05; done' \"$0\" & "
                          "while [ ! -s \"$0/left\" ]; do sleep 0.01; done; exit 5",
                          dir.path().string()}),
                  "", dir / "stderr");
  CHECK(supd.WaitExit() == 5);
  guard.Add(ReadPidFile(dir / "left"));
  CHECK(ReadFile(dir / "termed") == "termed\n");
  CHECK(ProcState(ReadPidFile(dir / "left")) == '\0');
  CHECK_FALSE(FileHas(dir / "stderr", "SIGKILLed"));  // the shell itself may say "Terminated"
}

TEST_CASE("Init mode: a leftover ignoring TERM -> SIGKILLed after --stop-timeout", "[init]") {
  TempDir dir;
  PidReaperGuard guard;
  Subprocess supd(Driver({"--stop-timeout", "300ms"},
                         {"/bin/sh", "-c",
                          "sh -c 'trap \"\" TERM; echo $$ > \"$0/left\"; while :; do sleep 0.05; done' \"$0\" & "
                          "while [ ! -s \"$0/left\" ]; do sleep 0.01; done; exit 6",
                          dir.path().string()}),
                  "", dir / "stderr");
  CHECK(supd.WaitExit() == 6);
  const pid_t left = ReadPidFile(dir / "left");
  guard.Add(left);
  CHECK(ProcState(left) == '\0');
  CHECK(FileHas(dir / "stderr", "did not stop within 300ms: SIGKILLed"));
}

TEST_CASE("Init mode: TERM to supd during the leftovers' grace -> SIGKILL at once", "[init]") {
  TempDir dir;
  PidReaperGuard guard;
  // The leftover notes the sweep's TERM and keeps running.
  Subprocess supd(Driver({"--stop-timeout", "3600s"},
                         {"/bin/sh", "-c",
                          "sh -c 'trap \"echo termed > \\\"$0/termed\\\"\" TERM; echo $$ > \"$0/left\"; "
                          "while :; do sleep 0.05; done' \"$0\" & "
                          "while [ ! -s \"$0/left\" ]; do sleep 0.01; done; exit 6",
                          dir.path().string()}),
                  "", dir / "stderr");
  REQUIRE(WaitUntil([&] { return ReadPidFile(dir / "left") != 0; }));
  const pid_t left = ReadPidFile(dir / "left");
  guard.Add(left);
  REQUIRE(WaitUntil([&] { return FileHas(dir / "termed", "termed"); }));  // the grace has begun
  kill(supd.pid(), SIGTERM);
  CHECK(supd.WaitExit() == 6);
  CHECK(ProcState(left) == '\0');
  CHECK(FileHas(dir / "stderr", "SIGKILLed"));
}

namespace {

// Runs the driver as a session leader whose stdin/stdout/stderr are a new pseudo-terminal,
// which becomes its controlling terminal: what a shell in a terminal window gives supd.
struct TerminalDriver {
  int master = -1;
  pid_t pid = -1;

  explicit TerminalDriver(const std::vector<std::string>& argv) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(grantpt(master) == 0);
    REQUIRE(unlockpt(master) == 0);
    const std::string slave = ptsname(master);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid = fork();
    if (pid == 0) {
      setsid();
      int fd = open(slave.c_str(), O_RDWR);  // the session leader's first terminal: its ctty
      if (fd < 0) _exit(125);
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execv(cargv[0], cargv.data());
      _exit(125);
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    REQUIRE(pid > 0);
  }

  ~TerminalDriver() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    close(master);
  }

  std::optional<int> WaitExit() {
    std::optional<int> code;
    char buf[256];
    WaitUntil([&] {
      while (read(master, buf, sizeof buf) > 0) {  // drain: a full pty would block the child
      }
      int status;
      if (waitpid(pid, &status, WNOHANG) != pid) return false;
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid = -1;
      return true;
    });
    return code;
  }
};

}  // namespace

TEST_CASE("Init mode: fd 0 is the controlling terminal -> the child's group is its foreground", "[init]") {
  TempDir dir;
  TerminalDriver supd(Driver({}, {"/bin/sh", "-c", "cut -d' ' -f1,5,8 /proc/$$/stat > \"$0/ids\"",
                                  dir.path().string()}));
  fcntl(supd.master, F_SETFL, O_NONBLOCK);
  CHECK(supd.WaitExit() == 0);
  const std::string ids = ReadFile(dir / "ids");  // "pid pgrp tpgid"
  const std::string pid = ids.substr(0, ids.find(' '));
  CHECK(ids == pid + " " + pid + " " + pid + "\n");
}

TEST_CASE("Init mode: ^Z at the terminal -> child and supd stop, then CONT to supd -> the group continues", "[init]") {
  TempDir dir;
  TerminalDriver supd(Driver({}, {"/bin/sh", "-c", "echo $$ > \"$0/pid\"; exec sleep 600",
                                  dir.path().string()}));
  fcntl(supd.master, F_SETFL, O_NONBLOCK);
  REQUIRE(WaitUntil([&] { return ReadPidFile(dir / "pid") != 0; }));
  const pid_t child = ReadPidFile(dir / "pid");
  // `exec sleep`: a shell loop may be caught in vfork (state D) and then never reports a stop.
  REQUIRE(write(supd.master, "\x1a", 1) == 1);  // ^Z: the line discipline sends TSTP
  REQUIRE(WaitUntil([&] { return ProcState(child) == 'T' && ProcState(supd.pid) == 'T'; }));
  kill(supd.pid, SIGCONT);
  REQUIRE(WaitUntil([&] { return ProcState(child) != 'T' && ProcState(supd.pid) != 'T'; }));
  kill(supd.pid, SIGTERM);
  CHECK(supd.WaitExit() == 128 + SIGTERM);
}
