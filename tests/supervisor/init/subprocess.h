// Test helpers for init mode: a child process of the test with bounded waits, temp dirs,
// and /proc probes. Every process started here is killed by pid when its owner dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sup::test {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs argv with stdin on /dev/null and stdout/stderr appended to the given files ("" keeps
// the test's). The destructor SIGKILLs and reaps it if it is still running.
class Subprocess {
 public:
  Subprocess(const std::vector<std::string>& argv, const std::string& stdout_path = "",
             const std::string& stderr_path = "");
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit code (128+N for signal N), or nullopt if it is still running after `bound`.
  std::optional<int> WaitExit(std::chrono::milliseconds bound = std::chrono::seconds(20));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Kills the listed pids (SIGKILL) on destruction: processes a test created indirectly.
class PidReaperGuard {
 public:
  ~PidReaperGuard();
  void Add(pid_t pid) { pids_.push_back(pid); }

 private:
  std::vector<pid_t> pids_;
};

// Polls `pred` until it holds or `bound` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds bound = std::chrono::seconds(20));

std::string ReadFile(const std::string& path);  // "" when missing
void WriteFile(const std::string& path, const std::string& text, int mode = 0644);
pid_t ReadPidFile(const std::string& path);     // 0 when missing or incomplete
// /proc/PID/stat: state letter ('\0' if the process is gone) and parent pid (0 if gone).
char ProcState(pid_t pid);
pid_t ProcParent(pid_t pid);

}  // namespace sup::test
