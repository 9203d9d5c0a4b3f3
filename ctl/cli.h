// supctl's command line: CLI11 definitions of every subcommand of SPEC §5, parsed into one
// plain Invocation. No I/O beyond --help and usage errors; no daemon.
#pragma once

#include <iosfwd>
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
};

// A parsed command line, or the exit code to leave with (0 after --help, 2 on usage errors;
// the text is already written to out/err).
using ParseOutcome = std::variant<Invocation, int>;

// `args` excludes argv[0]. `euid` and `env` pick the default socket.
ParseOutcome ParseCommandLine(const std::vector<std::string>& args, const conf::Environment& env,
                              uid_t euid, std::ostream& out, std::ostream& err);

}  // namespace sup::ctl
