// exec_timer: whole-process wall time of several commands, run interleaved (one of each per
// round, the order alternating every round) so that a change in the machine's load hits them
// all alike. Each run is posix_spawn -> waitpid, timed with CLOCK_MONOTONIC, stdin/stdout/
// stderr on /dev/null. Prints one JSON object: per command, its argv, samples (ns) and the
// exit codes seen.
//   exec_timer [--runs 30] [--warmup 3] -- CMD1 ARG... -- CMD2 ARG...
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Command {
  std::vector<char*> argv;  // points into main's argv; nullptr-terminated
  std::vector<long long> samples_ns;
  std::map<int, int> exit_codes;  // code (or 128+signal) -> how many runs
};

long long NowNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

// Runs `command` once; returns its wall time in ns, or -1 if it could not be spawned.
long long RunOnce(Command* command, const posix_spawn_file_actions_t* actions) {
  pid_t pid = 0;
  const long long begin = NowNs();
  const int error = posix_spawn(&pid, command->argv[0], actions, nullptr, command->argv.data(), environ);
  if (error != 0) {
    std::fprintf(stderr, "exec_timer: %s: %s\n", command->argv[0], std::strerror(error));
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const long long elapsed = NowNs() - begin;
  ++command->exit_codes[WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)];
  return elapsed;
}

void PrintString(const char* text) {
  std::putchar('"');
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c == '"' || *c == '\\') std::putchar('\\');
    std::putchar(*c);
  }
  std::putchar('"');
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 30;
  int warmup = 3;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) break;
    if (std::strcmp(argv[i], "--runs") == 0) {
      runs = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--warmup") == 0) {
      warmup = std::atoi(argv[i + 1]);
    } else {
      break;
    }
  }
  std::vector<Command> commands;
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      commands.emplace_back();
    } else if (!commands.empty()) {
      commands.back().argv.push_back(argv[i]);
    }
  }
  bool usable = runs > 0 && warmup >= 0 && !commands.empty();
  for (auto& command : commands) {
    usable = usable && !command.argv.empty();
    command.argv.push_back(nullptr);
  }
  if (!usable) {
    std::fputs("usage: exec_timer [--runs N] [--warmup W] -- CMD ARG... [-- CMD ARG...]\n", stderr);
    return 2;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);

  for (int round = 0; round < warmup + runs; ++round) {
    for (size_t k = 0; k < commands.size(); ++k) {
      Command& command = commands[round % 2 == 0 ? k : commands.size() - 1 - k];
      const long long ns = RunOnce(&command, &actions);
      if (ns < 0) return 1;
      if (round >= warmup) command.samples_ns.push_back(ns);
    }
  }
  posix_spawn_file_actions_destroy(&actions);

  std::printf("{\"commands\":[");
  for (size_t k = 0; k < commands.size(); ++k) {
    const Command& command = commands[k];
    std::printf("%s{\"argv\":[", k ? "," : "");
    for (size_t a = 0; command.argv[a] != nullptr; ++a) {
      if (a) std::putchar(',');
      PrintString(command.argv[a]);
    }
    std::printf("],\"samples_ns\":[");
    for (size_t s = 0; s < command.samples_ns.size(); ++s) std::printf("%s%lld", s ? "," : "", command.samples_ns[s]);
    std::printf("],\"exit_codes\":{");
    bool first = true;
    for (const auto& [code, count] : command.exit_codes) {
      std::printf("%s\"%d\":%d", first ? "" : ",", code, count);
      first = false;
    }
    std::printf("}}");
  }
  std::printf("]}\n");
  return 0;
}
