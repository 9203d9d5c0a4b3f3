#include <unistd.h>

#include <map>
#include <ostream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/terminal.h"

namespace sup::ctl {

int Main(const std::vector<std::string>& args, const conf::Environment& env, std::ostream& out,
         std::ostream& err, bool tty) {
  auto parsed = ParseCommandLine(args, env, ::geteuid(), out, err);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  const Invocation& inv = std::get<Invocation>(parsed);

  using Command = int (*)(Context&);
  static const std::map<std::string, Command> kCommands = {
      {"status", RunStatus},   {"pid", RunPid},         {"version", RunVersion},
      {"start", RunAction},    {"stop", RunAction},     {"restart", RunAction},
      {"signal", RunSignal},   {"reload", RunReload},   {"shutdown", RunShutdown},
      {"wait", RunWait},       {"events", RunEvents},   {"logs", RunLogs},
      {"check", RunCheck},     {"notify", RunNotify},       {"top", RunTop},
      {"import", RunImport},   {"completion", RunCompletion}, {"__complete-names", RunCompleteNames},
  };
  const auto it = kCommands.find(inv.verb);
  if (it == kCommands.end()) {
    err << "supctl: unknown command '" << inv.verb << "'\n";
    return kExitUsage;
  }
  Style style{tty && !inv.json, env.find("NO_COLOR") == env.end(), 0};
  if (style.tty) style.width = TerminalSize(STDOUT_FILENO).columns;
  Context ctx{inv, env, out, err, style};
  return it->second(ctx);
}

}  // namespace sup::ctl
