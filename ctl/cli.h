// supctl's command line: CLI11 definitions of every subcommand of SPEC §5, parsed into one
// plain Invocation. No I/O beyond --help and usage errors; no daemon.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sup/conf/config.h"

namespace sup::ctl {

struct Invocation {
  std::string verb = "status";  // the subcommand; "status" when none was given
  std::string socket;           // resolved: -s, else $SUP_SOCKET, else the default path
  bool json = false;
  bool version = false;  // --version: print supctl's version and exit 0
  std::vector<std::string> select;
  // start/stop/restart/wait/reload
  bool no_wait = false;
  std::string timeout;  // as typed; "" = the verb's default
  bool with_dependants = false;
  // signal
  std::string signal;
  bool group = false;
  // wait
  std::string wait_for;
  // logs
  bool follow = false;
  int lines = 50;
  bool only_stdout = false;
  bool only_stderr = false;
  // reload
  bool dry_run = false;
  // check
  std::optional<std::string> file;
  // notify
  std::vector<std::string> assignments;
  bool no_block = false;
  // top
  bool once = false;
  std::string shm;  // read this segment without asking supd
  // import: the format of `file` ("supervisord")
  std::string import_format;
  // completion: "bash", "zsh" or "fish"
  std::string shell;
};

// A parsed command line, or the exit code to leave with (0 after --help, 2 on usage errors;
// the text is already written to out/err).
using ParseOutcome = std::variant<Invocation, int>;

// `args` excludes argv[0]. `euid` and `env` pick the default socket.
ParseOutcome ParseCommandLine(const std::vector<std::string>& args, const conf::Environment& env,
                              uid_t euid, std::ostream& out, std::ostream& err);

// One subcommand as shell completion sees it, read from the same definitions the parser uses.
struct CommandSpec {
  std::string name;  // "" for the options before any command (-s, --json, -h)
  std::string purpose;
  std::vector<std::string> flags;          // options without a value: "--once", "-f", "--follow"
  std::vector<std::string> value_options;  // options that take one: "--timeout", "-n"
  std::vector<std::string> positionals;    // in order: "SEL", "FILE", "SIG", "SHELL", "KEY=VALUE"
  bool last_repeats = false;               // the last positional takes several words (SEL...)
  std::vector<CommandSpec> subcommands;    // import: supervisord
  std::map<std::string, std::vector<std::string>> choices;  // option or positional -> its values
};

// The global options first (name ""), then every visible subcommand in help order.
std::vector<CommandSpec> DescribeCommands();

}  // namespace sup::ctl
