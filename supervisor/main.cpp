// supd: the table of contents. Every step is a call into sup_daemon; only main() exits.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "daemon/daemon.h"
#include "core/exit_codes.h"
#include "daemon/daemon_signals.h"
#include "init/init_mode.h"
#include "logging/logging.h"
#include "process/fd_table.h"
#include "process/spawner.h"
#include "sup/conf/loader.h"
#include "sup/conf/suggest.h"
#include "sup/conf/units.h"

namespace {

using sup::daemon::kExitConfigError;

struct Options {
  std::optional<std::string> config;
  bool check = false;
  std::string log_level = "info";
  std::string log_format = "text";
  bool group = false;
  std::string stop_timeout = "10s";
  bool has_command = false;  // a `--` was given
  std::vector<std::string> command;
};

// Splits argv at the first "--" (what follows is the command, never parsed as options),
// then parses the rest with CLI11. Returns an exit code when main should stop.
std::optional<int> ParseOptions(int argc, char** argv, Options& opts) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      opts.has_command = true;
      opts.command.assign(argv + i + 1, argv + argc);
      break;
    }
    args.emplace_back(argv[i]);
  }
  CLI::App app{"supd: the sup process supervisor daemon.\n\n"
               "  supd [-c FILE] [--check]                      run the programs of a config\n"
               "  supd -c FILE -- COMMAND [ARG...]              ...plus COMMAND as `main`\n"
               "  supd [--group] [--stop-timeout D] -- COMMAND  init mode, like tini\n\n"
               "Example: supd -c /etc/sup/sup.toml",
               "supd"};
  app.add_option("-c,--config", opts.config,
                 "config file (default: $SUP_CONFIG, else /etc/sup/sup.toml)");
  app.add_flag("--check", opts.check, "validate the config, print every error, exit 0 or 2");
  app.add_option("--log-level", opts.log_level, "trace|debug|info|warn|error (default info)");
  app.add_option("--log-format", opts.log_format, "text|json (default text)")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--group", opts.group, "init mode: forward signals to the child's process group");
  app.add_option("--stop-timeout", opts.stop_timeout,
                 "init mode: grace period for leftover processes (default 10s)");
  app.add_flag_callback("--version", [] { std::cout << "supd " SUP_VERSION "\n"; throw CLI::Success(); },
                        "print the version");
  app.allow_extras();  // reported below, with a did-you-mean
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitConfigError;
  }
  if (!app.remaining().empty()) {
    const std::string word = app.remaining().front();
    if (word.empty() || word[0] != '-') {
      std::cerr << "supd: unexpected argument '" << word << "' (a command goes after --)\n";
    } else {
      std::vector<std::string> names;
      for (const CLI::Option* opt : app.get_options()) {
        for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      }
      const std::string near = sup::conf::ClosestMatch(word.substr(0, word.find('=')), names);
      std::cerr << "supd: unknown option '" << word << "'";
      if (!near.empty()) std::cerr << " (did you mean '" << near << "'?)";
      std::cerr << "\n";
    }
    std::cerr << "Run with --help for more information.\n";
    return kExitConfigError;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sup;
  // First: a TERM during config loading is never lost. The state supd inherited is what
  // its command-line program gets back (SPEC §9.6), read before supd ignores anything.
  const daemon::InheritedSignals inherited = daemon::InheritedSignals::Capture(daemon::BlockAllSignals());
  daemon::EnsureStandardFds();
  // Captured output moves through chunks of up to 256 KiB allocated and freed at a high rate:
  // without this, glibc trims the heap top after nearly every chunk (a brk pair per chunk in
  // strace).
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  mallopt(M_TOP_PAD, 1 << 20);

  Options opts;
  if (auto rc = ParseOptions(argc, argv, opts)) return *rc;
  const conf::Environment env = conf::CurrentEnvironment();

  if (opts.has_command && !opts.config) {
    auto timeout = conf::ParseDuration(opts.stop_timeout);
    if (!timeout) {
      std::cerr << "supd: invalid --stop-timeout '" << opts.stop_timeout << "'\n";
      return kExitConfigError;
    }
    if (opts.command.empty()) {
      std::cerr << "supd: `--` must be followed by a command\n";
      return kExitConfigError;
    }
    const int code = daemon::RunInitMode({opts.command, opts.group, *timeout, inherited});
    // Nothing of supd outlives init mode but what it wrote: the static destructors that
    // exit() would run (CLI11's, spdlog's registry, libstdc++'s locale) only delay the exit
    // status the container runtime waits for (BENCHMARKS.md pid1).
    std::cout.flush();
    std::fflush(nullptr);
    _exit(code);
  }

  const std::string path = conf::ResolveConfigPath(opts.config, env);
  if (opts.check) return conf::RunCheck(path, env, geteuid(), std::cout, std::cerr);

  if (!daemon::IsLogLevel(opts.log_level)) {
    std::cerr << "supd: unknown --log-level '" << opts.log_level << "'\n";
    return kExitConfigError;
  }
  conf::LoadResult loaded = conf::LoadFile(path, env, geteuid());
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.ToString() << "\n";
    std::cerr << "supd: " << loaded.errors.size() << " error(s) in " << path << "\n";
    return kExitConfigError;
  }
  // Still single-threaded: the limits as supd found them (its programs get these back), then
  // its fd table at full size while that costs no RCU grace period (process/fd_table.h).
  daemon::DaemonOptions dopts;
  dopts.original_limits = daemon::OriginalLimits::Capture();
  daemon::RaiseOwnFdLimit();
  daemon::ReserveFdTable(daemon::FdsFor(*loaded.config));
  daemon::SetUpLogging(opts.log_level, opts.log_format == "json" ? daemon::LogFormat::kJson
                                                             : daemon::LogFormat::kText);
  dopts.env = env;
  dopts.original_limits.signals = inherited;
  if (opts.has_command) dopts.main_command = opts.command;
  int rc = daemon::RunDaemon(std::move(*loaded.config), std::move(dopts));
  daemon::ShutDownLogging();
  return rc;
}
