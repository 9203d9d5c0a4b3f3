// init_mode_driver [--group] [--stop-timeout D] -- COMMAND [ARG...]
// A stand-in for `supd -- COMMAND` in tests: the same start-up (all signals blocked, fds 0-2
// open) and the same RunInitMode call. D is "250ms", "2s" or a bare number of milliseconds.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "init/init_mode.h"

namespace {

bool ParseMillis(const char* text, std::chrono::milliseconds& out) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (end == text || value < 0) return false;
  const std::string unit(end);
  if (unit.empty() || unit == "ms") {
    out = std::chrono::milliseconds(value);
  } else if (unit == "s") {
    out = std::chrono::seconds(value);
  } else {
    return false;
  }
  return true;
}

int Usage() {
  std::fprintf(stderr, "usage: init_mode_driver [--group] [--stop-timeout D] -- COMMAND [ARG...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t all, inherited;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &inherited);
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) == -1) open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
  }

  sup::daemon::InitOptions opts;
  opts.signals = sup::daemon::InheritedSignals::Capture(inherited);
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (std::strcmp(argv[i], "--group") == 0) {
      opts.group = true;
    } else if (std::strcmp(argv[i], "--stop-timeout") == 0 && i + 1 < argc) {
      if (!ParseMillis(argv[++i], opts.stop_timeout)) return Usage();
    } else {
      return Usage();
    }
  }
  if (i + 1 >= argc) return Usage();
  opts.argv.assign(argv + i + 1, argv + argc);
  return sup::daemon::RunInitMode(opts);
}
